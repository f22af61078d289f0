package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what `beianwatch version` prints: the build information
// the Go toolchain stamps into the binary.
type versionInfo struct {
	// Version is the module version ("dev" when built from a work tree).
	Version string `json:"version"`
	// Revision, Time and Modified describe the VCS commit it was built
	// from, when the build recorded it (go build without -buildvcs=false,
	// inside a git checkout).
	Revision  string `json:"revision"`
	Time      string `json:"time"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// readVersion reads the binary's build information.
func readVersion() versionInfo {
	v := versionInfo{Version: buildVersion(), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the version's one line for people (and --version).
func (v versionInfo) String() string {
	s := "beianwatch version " + v.Version
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (" + rev
		if v.Modified {
			s += ", modified"
		}
		if v.Time != "" {
			s += ", " + v.Time
		}
		s += ")"
	}
	return s + " " + v.GoVersion + " " + v.Platform
}

func (a *app) versionCmd() *cobra.Command {
	var out *outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := out.format(cmd)
			if err != nil {
				return err
			}
			v := readVersion()
			if format != formatTable {
				return writeRecord(a.stdout, format, v)
			}
			_, err = fmt.Fprintln(a.stdout, v)
			return err
		},
	}
	out = addOutputFlag(cmd, showFormats)
	return cmd
}
