package deploy

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN …
	args string
}

// stage is one FROM and what follows it.
type stage struct {
	from  string
	instr []instruction
}

// parseDockerfile splits the Dockerfile into stages (it understands only
// what this Dockerfile uses: comments, line continuations, no heredocs).
func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	_, stages := parseDockerfileArgs(t)
	return stages
}

// parseDockerfileArgs is parseDockerfile with the global ARGs, those
// before the first FROM (name → default), which only FROM lines see.
func parseDockerfileArgs(t *testing.T) (map[string]string, []stage) {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	global := map[string]string{}
	var cur strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		switch {
		case in.cmd == "FROM":
			stages = append(stages, stage{from: in.args})
		case len(stages) > 0:
			stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, in)
		case in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			global[k] = v
		}
	}
	return global, stages
}

// argDefaults are a stage's ARGs (name → default).
func (s stage) argDefaults() map[string]string {
	out := map[string]string{}
	for _, a := range s.all("ARG") {
		k, v, _ := strings.Cut(a, "=")
		out[k] = v
	}
	return out
}

// expand replaces ${NAME} by its value in args, as docker build does for
// arguments it was not given.
func expand(s string, args map[string]string) string {
	return os.Expand(s, func(k string) string { return args[k] })
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instr {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func (s stage) last(cmd string) string {
	all := s.all(cmd)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

// execForm decodes a JSON-array instruction argument.
func execForm(t *testing.T, what, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil {
		t.Fatalf("%s %s: want the exec (JSON array) form: %v", what, args, err)
	}
	return out
}

// TestDockerfile checks what the image promises (Docker is not available
// to the tests, so the image is not built here): a static build, a
// non-root distroless runtime, the port serve listens on by default, and an
// entrypoint and command serve accepts.
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	global, _ := parseDockerfileArgs(t)
	if from := expand(build.from, global); !strings.HasPrefix(from, "docker.io/library/golang:") {
		t.Errorf("build stage FROM %s, want golang", from)
	}
	runs := strings.Join(build.all("RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/beianwatch"} {
		if !strings.Contains(runs, want) {
			t.Errorf("build stage never runs %q", want)
		}
	}
	if from := expand(final.from, global); !strings.Contains(from, "distroless/static") && from != "scratch" {
		t.Errorf("runtime FROM %s, want distroless/static or scratch", from)
	}
	if user := final.last("USER"); user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("runtime USER %q: want a non-root user", user)
	}

	bin := buildBeianwatch(t)
	defaults := effectiveConfig(t, bin, nil, "serve")
	_, port, _ := net.SplitHostPort(defaults["listen"].(string))
	if final.last("EXPOSE") != port {
		t.Errorf("EXPOSE %s, serve listens on %s by default", final.last("EXPOSE"), port)
	}
	entry := execForm(t, "ENTRYPOINT", final.last("ENTRYPOINT"))
	if len(entry) != 1 || !strings.Contains(strings.Join(final.all("COPY"), "\n"), entry[0]) {
		t.Errorf("ENTRYPOINT %v is not the binary the stage copies in", entry)
	}
	cmd := execForm(t, "CMD", final.last("CMD"))
	env := map[string]string{}
	for _, e := range final.all("ENV") {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	settings := effectiveConfig(t, bin, env, cmd...)
	if db, _ := settings["db"].(string); !strings.HasPrefix(db, "sqlite://"+final.last("WORKDIR")+"/") {
		t.Errorf("the image's default registry %q is not in its WORKDIR %s (the only directory nonroot owns)", db, final.last("WORKDIR"))
	}
}

// mirrorArgs are the Dockerfile's arguments for mirrors, with the defaults
// that build exactly as a Dockerfile without them did: the images from
// their home registries, modules through Go's own default proxy and
// checksum database.
var mirrorArgs = map[string]string{
	"REGISTRY":            "docker.io",
	"DISTROLESS_REGISTRY": "gcr.io",
	"GOPROXY":             "https://proxy.golang.org,direct",
	"GOSUMDB":             "sum.golang.org",
	"GONOSUMDB":           "",
}

// TestDockerfileMirrorArgs: the base images' registries and the module
// proxy are build arguments whose defaults are today's sources, and they
// reach what uses them (the FROM lines, the build stage's go commands).
func TestDockerfileMirrorArgs(t *testing.T) {
	global, stages := parseDockerfileArgs(t)
	build, final := stages[0], stages[len(stages)-1]
	args := build.argDefaults()
	for k, v := range global {
		args[k] = v
	}
	for name, want := range mirrorArgs {
		got, ok := args[name]
		if !ok {
			t.Errorf("no ARG %s", name)
		} else if got != want {
			t.Errorf("ARG %s defaults to %q, want %q (as before the argument existed)", name, got, want)
		}
	}
	for _, s := range []struct{ from, want string }{
		{build.from, "docker.io/library/golang:1.26 AS build"},
		{final.from, "gcr.io/distroless/static-debian12:nonroot"},
	} {
		if got := expand(s.from, global); got != s.want {
			t.Errorf("FROM %s is %s by default, want %s", s.from, got, s.want)
		}
	}
	if got := expand(build.from, map[string]string{"REGISTRY": "mirror.example", "GO_VERSION": "1.26"}); !strings.HasPrefix(got, "mirror.example/") {
		t.Errorf("FROM %s ignores REGISTRY", build.from)
	}
	if got := expand(final.from, map[string]string{"DISTROLESS_REGISTRY": "mirror.example"}); !strings.HasPrefix(got, "mirror.example/") {
		t.Errorf("FROM %s ignores DISTROLESS_REGISTRY", final.from)
	}
	env := strings.Join(build.all("ENV"), " ")
	for _, name := range []string{"GOPROXY", "GOSUMDB", "GONOSUMDB"} {
		if !strings.Contains(env, name+"=${"+name+"}") {
			t.Errorf("the build stage does not pass ARG %s to go (ENV %s=${%s})", name, name, name)
		}
	}
}
