package checker

import "strings"

// httpsErrorText is the crawler's HTTPS error for a message: as given in
// English, by its kind in Chinese (the error text itself is Go's English,
// which a Chinese message must not quote).
func httpsErrorText(err string) biText {
	l := strings.ToLower(err)
	zh := "连接错误"
	switch {
	case strings.Contains(l, "x509") || strings.Contains(l, "certificate"):
		zh = "证书无效"
	case strings.Contains(l, "timeout") || strings.Contains(l, "deadline exceeded"):
		zh = "连接超时"
	case strings.Contains(l, "refused"):
		zh = "连接被拒绝"
	case strings.Contains(l, "reset"):
		zh = "连接被重置"
	case strings.Contains(l, "handshake") || strings.Contains(l, "tls"):
		zh = "TLS 握手失败"
	case strings.Contains(l, "no such host"):
		zh = "域名无法解析"
	}
	return biText{err, zh}
}
