package redact

import "testing"

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://cp.example.cn/block", "https://cp.example.cn/block"},
		{"https://ops:pa55@cp.example.cn/block", "https://ops:xxxxx@cp.example.cn/block"},
		{"https://ops@cp.example.cn/block", "https://ops@cp.example.cn/block"},
		{"https://cp.example.cn/block?token=T0K&region=bj", "https://cp.example.cn/block?token=xxxxx&region=bj"},
		{"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x%2By", "https://oapi.dingtalk.com/robot/send?access_token=xxxxx&timestamp=1&sign=xxxxx"},
		{"https://h/x?api_key=1&apiKey=2&client_secret=3&signature=4&X-Amz-Signature=5&sslpassword=6&ak=7&sk=8&page=9", "https://h/x?api_key=xxxxx&apiKey=xxxxx&client_secret=xxxxx&signature=xxxxx&X-Amz-Signature=xxxxx&sslpassword=xxxxx&ak=xxxxx&sk=xxxxx&page=9"},
		{"https://h/x?to%6Ben=1", "https://h/x?to%6Ben=xxxxx"},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/0123-abcd", "https://open.feishu.cn/open-apis/bot/v2/hook/xxxxx"},
		{"https://h/x#access_token=abc", "https://h/x#xxxxx"},
		{"http://user:***@h/x?token=T", "http://user:xxxxx@h/x?token=xxxxx"},
		{"http://[::1", "http://[::1"},
		{"http://u:p@[::1", "(hidden: it may hold a credential)"},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sqlite://beianwatch.db", "sqlite://beianwatch.db"},
		{"sqlite::memory:", "sqlite::memory:"},
		{"beianwatch.db", "beianwatch.db"},
		{"postgres://bw:s3cret@db:5432/bw?sslmode=require", "postgres://bw:xxxxx@db:5432/bw?sslmode=require"},
		{"postgres://db/bw?password=s3cret&sslpassword=k3y&sslmode=verify-full", "postgres://db/bw?password=xxxxx&sslpassword=xxxxx&sslmode=verify-full"},
		{"host=db password=s3cret sslpassword='a b\\' c' dbname=bw", "host=db password=xxxxx sslpassword=xxxxx dbname=bw"},
		{"host=db password = s3cret", "host=db password = xxxxx"},
		{"host=db user=bw", "host=db user=bw"},
	}
	for _, tt := range tests {
		if got := DSN(tt.in); got != tt.want {
			t.Errorf("DSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no url here", "no url here"},
		{`post to https://cp/block: Post "https://ops:***@cp/block?token=T0K": dial tcp 127.0.0.1:1: connect: connection refused`,
			`post to https://cp/block: Post "https://ops:xxxxx@cp/block?token=xxxxx": dial tcp 127.0.0.1:1: connect: connection refused`},
		{"HTTP 403: bad token for https://cp/block?key=K <a href='https://cp/?sig=S'>", "HTTP 403: bad token for https://cp/block?key=xxxxx <a href='https://cp/?sig=xxxxx'>"},
		{"open registry postgres://bw:pw@db/bw?sslpassword=x: refused", "open registry postgres://bw:xxxxx@db/bw?sslpassword=xxxxx: refused"},
		{":// alone", ":// alone"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
