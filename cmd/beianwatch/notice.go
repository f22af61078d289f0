package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/beianwatch/beianwatch/cases"

	"github.com/spf13/pflag"

	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/notice"
)

// noticeOptions configure customer notices: where they go and how they
// read.
type noticeOptions struct {
	webhook, secretFile, templates    string
	provider, contactURL, contactMail string
}

func (o *noticeOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.webhook, "notice-webhook", "", "deliver customer notices to this `URL` (JSON, signed; the provider's mailer or ticket system sends them on)")
	f.StringVar(&o.secretFile, "notice-secret-file", "", "sign notice deliveries with the secret in this `FILE` (HMAC-SHA256)")
	f.StringVar(&o.templates, "notice-templates", "", "`DIR` of notice templates that replace the built-in ones (same file names)")
	f.StringVar(&o.provider, "provider-name", "", "the provider's `NAME` in notices")
	f.StringVar(&o.contactURL, "provider-contact-url", "", "where customers answer a notice (`URL`)")
	f.StringVar(&o.contactMail, "provider-contact-email", "", "the provider's support `ADDRESS` in notices")
}

// noticer builds the notice delivery from the flags; nil when no webhook
// is configured.
func (o *noticeOptions) noticer(site daemon.SiteLookup) (cases.Noticer, error) {
	no, err := o.options()
	if err != nil || no.URL == "" {
		return nil, err
	}
	n, err := daemon.NewNoticeWebhook(no, site)
	if err != nil {
		return nil, fmt.Errorf("--notice-webhook: %w", err)
	}
	return n, nil
}

// options are the daemon's notice options from the flags (no URL when no
// webhook is configured).
func (o *noticeOptions) options() (daemon.NoticeOptions, error) {
	if o.webhook == "" {
		return daemon.NoticeOptions{}, nil
	}
	no := daemon.NoticeOptions{URL: o.webhook, Templates: o.templates,
		Provider: notice.Provider{Name: o.provider, ContactURL: o.contactURL, ContactEmail: o.contactMail}}
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return daemon.NoticeOptions{}, fmt.Errorf("--notice-secret-file: %w", err)
		}
		no.Secret = strings.TrimSpace(string(b))
	}
	return no, nil
}
