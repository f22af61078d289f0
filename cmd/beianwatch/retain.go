package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// retainValue is --retain: a Go duration (9600h) or a number of days
// (400, 400d), since retention is thought of in days.
type retainValue time.Duration

func (v *retainValue) String() string {
	d := time.Duration(*v)
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func (v *retainValue) Set(s string) error {
	days := strings.TrimSuffix(strings.TrimSpace(s), "d")
	if n, err := strconv.Atoi(days); err == nil {
		*v = retainValue(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want days (400, 400d) or a duration (9600h), have %q", s)
	}
	*v = retainValue(d)
	return nil
}

func (v *retainValue) Type() string { return "days" }
