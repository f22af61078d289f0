package main

import (
	"testing"
	"time"
)

func TestRetainValue(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
		str     string
	}{
		{"400", 400 * 24 * time.Hour, false, "400d"},
		{"400d", 400 * 24 * time.Hour, false, "400d"},
		{"9600h", 400 * 24 * time.Hour, false, "400d"},
		{"36h", 36 * time.Hour, false, "36h0m0s"},
		{"0", 0, false, "0d"},
		{"a year", 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v retainValue
			err := v.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if time.Duration(v) != tt.want || v.String() != tt.str {
				t.Errorf("Set(%q) = %v (%s), want %v (%s)", tt.in, time.Duration(v), v.String(), tt.want, tt.str)
			}
		})
	}
}
