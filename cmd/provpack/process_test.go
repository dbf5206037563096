package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/imagegen"
	"github.com/provpack/provpack/pkgbuild"
)

// These tests run the real provpack binary, because signals and the
// output directory lock are about processes.

// provpackBinary builds the command into a temporary directory.
func provpackBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("needs POSIX signals and flock")
	}
	if testing.Short() {
		t.Skip("builds provpack and sends real signals; runs without -short")
	}
	bin := filepath.Join(t.TempDir(), "provpack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// bigImage writes an image whose build takes a moment (most of a second
// on two cores): 300 packages of 5 files each. The documents are kept
// small enough that the release lock, which records every setting, stays
// under the size provpack reads back.
func bigImage(t *testing.T) (dir, manifestPath string) {
	t.Helper()
	dir = t.TempDir()
	m, err := imagegen.Generate(dir, imagegen.Options{Packages: 300, Files: 5, Size: 1200})
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// snapshot maps every file under dir (temporary files included) to its
// bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSnapshots(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if w, ok := after[k]; !ok {
			t.Errorf("%s: %s was removed", what, k)
		} else if w != v {
			t.Errorf("%s: %s changed", what, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

// temps lists the .provpack-tmp-* files directly in dir.
func temps(dir string) []string {
	var out []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".provpack-tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func hasTemp(dir string) bool { return len(temps(dir)) > 0 }

// startBuild starts provpack with args in dir.
func startBuild(t *testing.T, ctx context.Context, bin, dir string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// waitFor polls until cond holds or the process has exited, and reports
// whether cond held.
func waitFor(cmd *exec.Cmd, exited <-chan struct{}, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		select {
		case <-exited:
			return cond()
		case <-time.After(time.Millisecond):
		}
	}
}

// readingSource reports whether process pid is reading its sources:
// it has read more than its manifest (rchar in /proc/PID/io counts the
// bytes of every read), or has a provisioning file open. Sources are
// open for microseconds each, so the open file alone is easily missed.
// Where /proc is missing it waits a moment instead and says yes.
func readingSource(pid int, manifest string) bool {
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		time.Sleep(100 * time.Millisecond)
		return true
	}
	if n, err := rchar(pid); err == nil {
		if st, err := os.Stat(manifest); err == nil && n > st.Size()+64<<10 {
			return true
		}
	}
	ents, _ := os.ReadDir(fds)
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && strings.HasSuffix(target, ".provxml") {
			return true
		}
	}
	return false
}

// rchar is what process pid has read so far: rchar in /proc/PID/io,
// which counts the bytes of every read.
func rchar(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, nil
}

func exitCodeOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestInterruptedBuildChangesNothing: SIGINT or SIGTERM while a real
// build is staging its outputs makes it exit 130, say it was interrupted,
// remove every temporary file, and leave the previous release's outputs,
// the lock and the manifest byte for byte as they were.
func TestInterruptedBuildChangesNothing(t *testing.T) {
	bin := provpackBinary(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		// when the signal is sent: once a temporary file is in out/, or
		// while planning (a source file is open).
		atTemp bool
	}{
		{"SIGINT while staging", syscall.SIGINT, true},
		{"SIGTERM while staging", syscall.SIGTERM, true},
		{"SIGTERM while planning", syscall.SIGTERM, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, m := bigImage(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// The previous release, with other dates.
			prev, _, stderr := startBuild(t, ctx, bin, dir, []string{"SOURCE_DATE_EPOCH=1700000000"}, "build", "-o", "out", "--release")
			if err := prev.Wait(); err != nil {
				t.Fatalf("previous build: %v\n%s", err, stderr)
			}
			// This release changes every archive, the report and the lock.
			data, _ := os.ReadFile(m)
			os.WriteFile(m, bytes.Replace(data, []byte("release: 1.0.0"), []byte("release: 1.0.1"), 1), 0o644)
			before := snapshot(t, dir)

			cmd, stdout, stderr := startBuild(t, ctx, bin, dir, nil, "build", "-o", "out", "--release", "--force")
			exited := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(exited) }()
			start := time.Now()
			if tc.atTemp {
				if !waitFor(cmd, exited, func() bool { return hasTemp(filepath.Join(dir, "out")) }) {
					t.Fatalf("the build finished before it staged anything it could be interrupted in\nstderr: %s", stderr)
				}
			} else if !waitFor(cmd, exited, func() bool { return readingSource(cmd.Process.Pid, m) }) {
				t.Fatalf("never saw the build read a source file\nstderr: %s", stderr)
			}
			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatalf("signal: %v", err)
			}
			<-exited
			t.Logf("signalled %v after start; exited %v after the signal", sent.Sub(start).Round(time.Millisecond), time.Since(sent).Round(time.Millisecond))
			if code := exitCodeOf(waitErr); code != exitInterrupted {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, exitInterrupted, stdout, stderr)
			}
			if got := stderr.String(); !strings.Contains(got, "provpack: interrupted; earlier outputs were left as they were") || strings.Contains(got, "goroutine ") {
				t.Errorf("stderr does not say it was interrupted (or holds a stack trace):\n%s", got)
			}
			if hasTemp(filepath.Join(dir, "out")) || hasTemp(dir) {
				t.Error("temporary files left behind")
			}
			diffSnapshots(t, "after an interrupted build", before, snapshot(t, dir))
		})
	}
}

// TestConcurrentBuildsRefused: a second real build into the same output
// directory while the first holds it fails at once with a clear message
// and exit 1, and the first completes with exactly the bytes a build on
// its own writes.
func TestConcurrentBuildsRefused(t *testing.T) {
	bin := provpackBinary(t)
	dir, _ := bigImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref, _, stderr := startBuild(t, ctx, bin, dir, nil, "build", "-o", "ref")
	if err := ref.Wait(); err != nil {
		t.Fatalf("reference build: %v\n%s", err, stderr)
	}

	// The second build is of a one-package image, so that it plans in
	// a moment and reaches the output directory while the first is
	// still writing.
	small := filepath.Join(dir, "small")
	if _, err := imagegen.Generate(small, imagegen.Options{Packages: 1, Files: 1, Size: 500}); err != nil {
		t.Fatal(err)
	}
	first, _, firstErr := startBuild(t, ctx, bin, dir, nil, "build", "-o", "out")
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = first.Wait(); close(exited) }()
	if !waitFor(first, exited, func() bool { return hasTemp(filepath.Join(dir, "out")) }) {
		t.Fatalf("the first build finished before the second could start\nstderr: %s", firstErr)
	}
	second, secondOut, secondErr := startBuild(t, ctx, bin, small, nil, "build", "-o", "../out")
	err := second.Wait()
	if code := exitCodeOf(err); code != exitFailed {
		t.Fatalf("second build: exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFailed, secondOut, secondErr)
	}
	if want := "provpack: another provpack command is writing to ../out (the output directory); wait for it to finish and run this command again\n"; secondErr.String() != want {
		t.Errorf("second build said %q, want %q", secondErr, want)
	}
	if secondOut.Len() != 0 {
		t.Errorf("second build printed %q", secondOut)
	}
	<-exited
	if waitErr != nil {
		t.Fatalf("first build: %v\n%s", waitErr, firstErr)
	}
	// The cache records file stamps (docs/cache-format.md): bookkeeping,
	// not an output, and not reproducible.
	alone, next := snapshot(t, filepath.Join(dir, "ref")), snapshot(t, filepath.Join(dir, "out"))
	delete(alone, pkgbuild.CacheName)
	delete(next, pkgbuild.CacheName)
	diffSnapshots(t, "build next to a refused one, against a build on its own", alone, next)
}
