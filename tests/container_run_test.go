package tests

import (
	"bytes"
	"context"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// containerRun is one document's container commands being run.
type containerRun struct {
	t                        *testing.T
	podman, dir              string
	image, container, volume string // this run's names for caddy-pinauth, pinauth, pinauth-data
	port                     int    // this run's host port for 8080
	ready                    string // the path that answers 200 once the gateway serves
	localize                 func(cmd string) string

	ids             []string // the containers started, in order
	execOutput      string   // what the last podman exec printed
	stops           int
	stoppedExitCode int
}

// The words of the documented container commands that name things a run
// replaces with its own.
var (
	containerNameWord = regexp.MustCompile(`(\s(?:--name|exec|stop|rm|start|restart|logs)\s+)pinauth(\s|$)`)
	imageWord         = regexp.MustCompile(`(\s)caddy-pinauth(\s|$)`)
	volumeWord        = regexp.MustCompile(`(\s-v\s+)pinauth-data(:/data\s)`)
	publishWord       = regexp.MustCompile(`(\s-p\s+(?:127\.0\.0\.1:)?)8080(:8080\s)`)
	hostSecretsWord   = regexp.MustCompile(`(\s-v\s+)/etc/caddy-pinauth/`)
	appUpstreamWord   = regexp.MustCompile(`(\s-e\s+APP_UPSTREAM=)\S+`)
)

// localizeNames gives a documented command this run's names and port, and
// fails the test when a podman run does not name them as expected.
func (r *containerRun) localizeNames(cmd string) string {
	if strings.HasPrefix(cmd, "podman run ") {
		for _, w := range []*regexp.Regexp{containerNameWord, imageWord, volumeWord, publishWord} {
			if !w.MatchString(cmd) {
				r.t.Fatalf("%q does not run caddy-pinauth as pinauth, publishing 8080 with pinauth-data on /data, as the test expects", cmd)
			}
		}
	}
	out := containerNameWord.ReplaceAllString(cmd, "${1}"+r.container+"${2}")
	out = imageWord.ReplaceAllString(out, "${1}"+r.image+"${2}")
	out = volumeWord.ReplaceAllString(out, "${1}"+r.volume+"${2}")
	return publishWord.ReplaceAllString(out, "${1}"+strconv.Itoa(r.port)+"${2}")
}

// localizeREADME is localizeNames: the README's commands need nothing else.
func (r *containerRun) localizeREADME(cmd string) string { return r.localizeNames(cmd) }

// localizeProduction also puts the secrets' directory where the commands
// name /etc/caddy-pinauth on the host, and the app's address into
// APP_UPSTREAM.
func (r *containerRun) localizeProduction(cmd, secrets, app string) string {
	out := r.localizeNames(cmd)
	if strings.HasPrefix(out, "podman run ") {
		if !hostSecretsWord.MatchString(out) || !appUpstreamWord.MatchString(out) {
			r.t.Fatalf("%q does not mount /etc/caddy-pinauth/… and set APP_UPSTREAM, as the test expects", cmd)
		}
		out = hostSecretsWord.ReplaceAllString(out, "${1}"+secrets+"/")
		return appUpstreamWord.ReplaceAllString(out, "${1}"+app)
	}
	if !strings.HasPrefix(out, "podman ") {
		out = strings.ReplaceAll(out, "/etc/caddy-pinauth", secrets)
	}
	return out
}

// run runs one documented command in the repository's copy, as a reader's
// shell would (their environment, go on PATH), then checks what it did.
func (r *containerRun) run(documented string) {
	t := r.t
	t.Helper()
	cmd := r.localize(documented)
	ctx, cancel := context.WithTimeout(t.Context(), containerCommandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", cmd)
	c.Dir = r.dir
	c.Env = append(os.Environ(), "PATH="+filepath.Dir(goTool())+":"+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	t.Logf("%s (%s)", cmd, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s%s", cmd, err, stdout.String(), stderr.String(), r.logs())
	}
	switch {
	case strings.HasPrefix(cmd, "podman build "):
		r.checkImage()
	case strings.HasPrefix(cmd, "podman run "):
		r.ids = append(r.ids, strings.TrimSpace(stdout.String()))
		r.waitServing()
	case strings.HasPrefix(cmd, "podman exec "):
		r.execOutput = stdout.String()
		if stderr.Len() > 0 {
			t.Errorf("%s wrote to standard error (the CLI is silent on success):\n%s", cmd, stderr.String())
		}
	case strings.HasPrefix(cmd, "podman stop "):
		r.stops++
		code, err := strconv.Atoi(r.podmanOut("inspect", "--format", "{{.State.ExitCode}}", r.container))
		if err != nil {
			t.Fatalf("exit status of the stopped container: %v", err)
		}
		r.stoppedExitCode = code
	}
}

// base is the published gateway's URL.
func (r *containerRun) base() string { return baseURL(r.port) }

// podmanOut runs podman with args and returns its trimmed output.
func (r *containerRun) podmanOut(args ...string) string {
	r.t.Helper()
	return podmanOutput(r.t, r.podman, args...)
}

// podmanOutput runs podman with args and returns its trimmed output.
func podmanOutput(t *testing.T, podman string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, podman, args...).Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// logs returns the container's output, for a failure message.
func (r *containerRun) logs() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, r.podman, "logs", r.container).CombinedOutput()
	if err != nil {
		return ""
	}
	return "\ncontainer " + r.container + "'s output:\n" + string(out)
}

// volumeDir is where the run's volume is on the host.
func (r *containerRun) volumeDir() string {
	return r.podmanOut("volume", "inspect", "--format", "{{.Mountpoint}}", r.volume)
}

// checkImage checks what the Dockerfile promises: a non-root user and
// /data as a volume.
func (r *containerRun) checkImage() {
	t := r.t
	if user := r.podmanOut("image", "inspect", "--format", "{{.Config.User}}", r.image); user != "65532:65532" {
		t.Errorf("the image runs as %q, want the unprivileged 65532:65532", user)
	}
	if vols := r.podmanOut("image", "inspect", "--format", "{{range $v, $_ := .Config.Volumes}}{{$v}} {{end}}", r.image); vols != "/data" {
		t.Errorf("the image's volumes are %q, want /data", vols)
	}
}

// checkBinaryIsStatic checks that the binary the README's line built, and
// the image holds, needs no dynamic loader: a FROM scratch image has none.
func (r *containerRun) checkBinaryIsStatic() {
	f, err := elf.Open(filepath.Join(r.dir, "caddy"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			r.t.Errorf("the binary built for the image is dynamically linked (it has an ELF interpreter): cgo was on")
		}
	}
}

// waitServing polls the published port until the gateway answers 200 on
// the ready path, failing the test (with the container's output) when the
// container stops first or the deadline passes.
func (r *containerRun) waitServing() {
	t := r.t
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	url := r.base() + r.ready
	deadline := time.Now().Add(startTimeout())
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	lastState := time.Now()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Since(lastState) > time.Second {
			lastState = time.Now()
			if running := r.podmanOut("inspect", "--format", "{{.State.Running}}", r.container); running != "true" {
				t.Fatalf("the container stopped before serving %s%s", url, r.logs())
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the container did not serve %s within %s: %v%s", url, startTimeout(), err, r.logs())
		}
		<-tick.C
	}
}

// removeAfter removes, when the test ends however it ends, the run's
// container and volume, and checks that neither is left.
func (r *containerRun) removeAfter() {
	t := r.t
	t.Cleanup(func() {
		removeAndCheck(t, r.podman, "volume", []string{"volume", "rm", "--force", r.volume}, []string{"volume", "exists", r.volume})
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(r.logs())
		}
		removeAndCheck(t, r.podman, "container", []string{"rm", "--ignore", "--force", "--time", "10", r.container},
			[]string{"container", "exists", r.container})
	})
}

// removeImageAfter removes the image when the test ends, however it ends.
func removeImageAfter(t *testing.T, podman, image string) {
	t.Cleanup(func() {
		removeAndCheck(t, podman, "image", []string{"rmi", "--ignore", "--force", image}, []string{"image", "exists", image})
	})
}

// removeAndCheck runs podman's rm, then fails the test if exists still
// finds the thing.
func removeAndCheck(t *testing.T, podman, what string, rm, exists []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, podman, rm...).CombinedOutput(); err != nil {
		t.Errorf("removing the %s: %v\n%s", what, err, out)
	}
	if exec.CommandContext(ctx, podman, exists...).Run() == nil {
		t.Errorf("the %s is still there after podman %s", what, strings.Join(rm, " "))
	}
}
