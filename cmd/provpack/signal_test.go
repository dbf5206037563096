package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
)

// Issue 20 item 7: Ctrl-C (SIGINT) and SIGTERM stop every command
// promptly with exit 130, and leave what it writes as it was. Before,
// verify, extract and plan ignored the first Ctrl-C and exited 0 (extract
// wrote all its files after the signal), and a release build stopped only
// after decoding its lock: 6-11 s for a lock of 520 MB.

// promptly is how soon after the signal a command must have exited.
const promptly = time.Second

// bytesRead is what process pid has read so far (rchar in /proc/PID/io);
// the test skips where /proc is missing.
func bytesRead(t *testing.T, pid int) int64 {
	n, err := rchar(pid)
	if err != nil {
		if _, serr := os.Stat("/proc/self/io"); serr != nil {
			t.Skip("needs /proc/PID/io to tell when the command is at work")
		}
		return 0
	}
	return n
}

// interrupt starts provpack with args in dir, sends sig once busy says
// the command is at work, and checks it exits 130 within promptly, says
// it was interrupted, prints no stack trace and nothing on stdout.
func interrupt(t *testing.T, bin, dir string, sig syscall.Signal, busy func(pid int) bool, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := startBuild(t, ctx, bin, dir, nil, args...)
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	if !waitFor(cmd, exited, func() bool { return busy(cmd.Process.Pid) }) {
		t.Fatalf("provpack %s finished before it could be interrupted\nstderr: %s", strings.Join(args, " "), stderr)
	}
	select {
	case <-exited:
		t.Fatalf("provpack %s finished before it could be interrupted\nstderr: %s", strings.Join(args, " "), stderr)
	default:
	}
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("provpack %s still running 30 s after %v", strings.Join(args, " "), sig)
	}
	took := time.Since(sent)
	t.Logf("provpack %s: exited %v after %v", strings.Join(args, " "), took.Round(time.Millisecond), sig)
	if took > promptly {
		t.Errorf("provpack %s took %v to stop after %v, want under %v", strings.Join(args, " "), took, sig, promptly)
	}
	if code := exitCodeOf(waitErr); code != exitInterrupted {
		t.Fatalf("provpack %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, exitInterrupted, stdout, stderr)
	}
	if got := stderr.String(); !strings.Contains(got, "provpack: interrupted") || stackTrace.MatchString(got) {
		t.Errorf("stderr does not say it was interrupted, or holds a stack trace:\n%s", got)
	}
	if stdout.Len() != 0 {
		t.Errorf("an interrupted command printed results:\n%.500s", stdout)
	}
}

// TestInterruptReadOnlyCommands: plan and verify DIR stop at the first
// SIGINT or SIGTERM, with exit 130 and no result printed.
func TestInterruptReadOnlyCommands(t *testing.T) {
	bin := provpackBinary(t)
	dir, m := bigImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, _, stderr := startBuild(t, ctx, bin, dir, nil, "build", "-o", "out")
	if err := b.Wait(); err != nil {
		t.Fatalf("build: %v\n%s", err, stderr)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("plan "+sig.String(), func(t *testing.T) {
			interrupt(t, bin, dir, sig, func(pid int) bool { return readingSource(pid, m) }, "plan")
		})
		t.Run("verify DIR "+sig.String(), func(t *testing.T) {
			// Busy once it has read past SHA256SUMS and report.json.
			interrupt(t, bin, dir, sig, func(pid int) bool { return bytesRead(t, pid) > 512<<10 }, "verify", "out")
		})
	}
}

// TestInterruptedExtractWritesNothing: SIGINT while extract stages the
// members of a large archive stops it with exit 130 and leaves DIR as it
// was: not created when it did not exist, its files untouched when it
// did.
func TestInterruptedExtractWritesNothing(t *testing.T) {
	bin := provpackBinary(t)
	dir := t.TempDir()
	var members []archive.Member
	for i := range 20000 {
		members = append(members, archive.Member{Name: fmt.Sprintf("d%02d/m%05d.txt", i%50, i), Data: bytes.Repeat([]byte{'x'}, 200)})
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, manifest.FormatTarZst, members, time.Unix(946684800, 0)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.tar.zst"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	staging := func(out string) func(int) bool {
		return func(int) bool {
			found := false
			filepath.WalkDir(filepath.Join(dir, out), func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.HasPrefix(d.Name(), ".provpack-tmp-") {
					found = true
					return filepath.SkipAll
				}
				return nil
			})
			return found
		}
	}
	t.Run("new DIR", func(t *testing.T) {
		interrupt(t, bin, dir, syscall.SIGINT, staging("new"), "extract", "big.tar.zst", "-o", "new")
		if _, err := os.Lstat(filepath.Join(dir, "new")); err == nil {
			t.Errorf("the interrupted extract left %s behind", filepath.Join(dir, "new"))
		}
	})
	t.Run("existing DIR", func(t *testing.T) {
		old := filepath.Join(dir, "old")
		os.MkdirAll(filepath.Join(old, "d00"), 0o755)
		os.WriteFile(filepath.Join(old, "keep.txt"), []byte("mine"), 0o644)
		os.WriteFile(filepath.Join(old, "d00", "m00000.txt"), []byte("old bytes"), 0o644)
		before := snapshot(t, old)
		interrupt(t, bin, dir, syscall.SIGTERM, staging("old"), "extract", "big.tar.zst", "-o", "old", "--force")
		diffSnapshots(t, "after an interrupted extract", before, snapshot(t, old))
	})
}

// TestInterruptedReleaseWithLargeLock: a release build whose lock is
// hundreds of megabytes stops within a second of SIGINT, while the lock
// is being decoded, and leaves the lock and the manifest as they were.
func TestInterruptedReleaseWithLargeLock(t *testing.T) {
	bin := provpackBinary(t)
	dir, _ := bigImage(t)
	// A valid lock of the image with one package recording 1.5 million
	// settings: about 250 MB of JSON.
	setting := manifest.FlatSetting{Class: manifest.ClassUpdate, File: "mxipupdate_OEM_Pkg0000_100.provxml", CSP: "Registry",
		Path: []string{`HKLM\Software\Contoso\Padding`}, Name: "Value", Value: strings.Repeat("v", 60), Datatype: "string", Op: manifest.OpSet}
	one, _ := json.Marshal(setting)
	var lock bytes.Buffer
	lock.WriteString(`{"lockVersion":1,"image":"bench","release":"1.0.0","target":"wm6","packages":[{"name":"OEM_Pkg0000","version":"1.0.0","guid":"00000000-0000-0000-0000-000000000000","owner":"oem","maxOrdinal":{"cold":100,"update":100},"bumps":[],"files":[],"settings":[`)
	for i := range 1_500_000 {
		if i > 0 {
			lock.WriteByte(',')
		}
		lock.Write(one)
	}
	lock.WriteString("]}]}\n")
	lockPath := filepath.Join(dir, manifest.DefaultLockName)
	if err := os.WriteFile(lockPath, lock.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	size := int64(lock.Len())
	lock = bytes.Buffer{}
	before := snapshot(t, dir)
	interrupt(t, bin, dir, syscall.SIGINT, func(pid int) bool { return bytesRead(t, pid) > size }, "build", "-o", "out", "--release")
	if hasTemp(dir) || hasTemp(filepath.Join(dir, "out")) {
		t.Error("temporary files left behind")
	}
	after := snapshot(t, dir)
	for k := range after {
		if strings.HasPrefix(k, "out"+string(filepath.Separator)) {
			delete(after, k) // the output directory's own bookkeeping, if any
		}
	}
	diffSnapshots(t, "after an interrupted release", before, after)
}
