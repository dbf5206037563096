package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// stageAll stages each name → content as an output of tx.
func stageAll(t *testing.T, tx *Tx, files map[string]string) {
	t.Helper()
	for name, data := range files {
		f, err := tx.Create(name, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot maps every name in dir to its content ("<dir>" for a
// directory, "<other>" for anything else that is not a regular file).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch {
		case strings.HasPrefix(e.Name(), TempPrefix):
			continue // staged, not yet an output
		case e.IsDir():
			out[e.Name()] = "<dir>"
		case e.Type().IsRegular():
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[e.Name()] = string(b)
		default:
			out[e.Name()] = "<other>"
		}
	}
	return out
}

func sameSnapshot(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %v, want %v", what, b, a)
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s: %s is %q, want %q", what, k, b[k], v)
		}
	}
}

func TestCommitPutsEverythingInPlace(t *testing.T) {
	dir := t.TempDir()
	beside := filepath.Join(t.TempDir(), "provpack.lock")
	tx, err := Begin(dir, Options{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.End()
	stageAll(t, tx, map[string]string{"a.cab": "A", "SHA256SUMS": "S"})
	f, _ := tx.CreateAt(beside, 0o644)
	f.Write([]byte("lock"))
	f.Close()
	if err := tx.Commit(false); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "output", map[string]string{"a.cab": "A", "SHA256SUMS": "S"}, snapshot(t, dir))
	if b, _ := os.ReadFile(beside); string(b) != "lock" {
		t.Errorf("lock is %q", b)
	}
}

// TestNonRegularDestinationChangesNothing: a directory or a FIFO where
// an output goes fails the commit before anything is renamed, forced or
// not, and is never opened (a FIFO would block).
func TestNonRegularDestinationChangesNothing(t *testing.T) {
	for _, kind := range []string{"dir", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "a.cab"), []byte("old A"), 0o644)
			target := filepath.Join(dir, "SHA256SUMS")
			switch kind {
			case "dir":
				os.Mkdir(target, 0o755)
			case "fifo":
				if err := syscall.Mkfifo(target, 0o644); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			}
			tx, err := Begin(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			f, err := tx.Create("a.cab", true)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("new A"))
			f.Close()
			_, err = tx.Create("SHA256SUMS", false)
			var nr *NotRegularError
			if !errors.As(err, &nr) || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("want a NotRegularError, got %v", err)
			}
			err = tx.Commit(true)
			tx.End()
			if err != nil {
				t.Fatal(err) // only a.cab was staged
			}
			// Staged before the FIFO was made: the commit refuses.
			os.WriteFile(filepath.Join(dir, "a.cab"), []byte("old A"), 0o644)
			tx, _ = Begin(dir, Options{})
			g, _ := tx.Create("b.cab", true)
			g.Write([]byte("B"))
			g.Close()
			os.Remove(filepath.Join(dir, "b.cab"))
			os.Mkdir(filepath.Join(dir, "b.cab"), 0o755)
			before := snapshot(t, dir)
			err = tx.Commit(true)
			tx.End()
			if !errors.As(err, &nr) {
				t.Fatalf("want a NotRegularError at commit, got %v", err)
			}
			sameSnapshot(t, "after the refused commit", before, snapshot(t, dir))
		})
	}
}

func TestConflictWithoutForce(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "same"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "diff"), []byte("old"), 0o644)
	before := snapshot(t, dir)
	tx, _ := Begin(dir, Options{})
	stageAll(t, tx, map[string]string{"same": "x", "diff": "new", "new": "n"})
	err := tx.Commit(false)
	tx.End()
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Files) != 1 || ce.Files[0] != "diff" {
		t.Fatalf("want a conflict on diff only, got %v", err)
	}
	sameSnapshot(t, "after the conflict", before, snapshot(t, dir))
}

// TestFailedRenameRollsBack: when a rename fails half-way, the files
// replaced before it are put back and the new ones removed.
func TestFailedRenameRollsBack(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("old a"), 0o644)
	os.WriteFile(filepath.Join(dir, "b"), []byte("old b"), 0o644)
	before := snapshot(t, dir)
	tx, _ := Begin(dir, Options{})
	stageAll(t, tx, map[string]string{"a": "new a"})
	stageAll(t, tx, map[string]string{"b": "new b"})
	stageAll(t, tx, map[string]string{"c": "new c"})
	// The staged file of c disappears: its rename fails after a and b
	// were renamed.
	for _, f := range tx.staged {
		if f.name == "c" {
			os.Remove(f.tmp)
		}
	}
	err := tx.Commit(true)
	tx.End()
	if err == nil {
		t.Fatal("the commit did not fail")
	}
	sameSnapshot(t, "after the rolled-back commit", before, snapshot(t, dir))
}

func TestEndRemovesWhatWasNotCommitted(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "x", "y")
	tx, err := Begin(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stageAll(t, tx, map[string]string{"a": "A"})
	if _, err := tx.Scratch(); err != nil {
		t.Fatal(err)
	}
	tx.End()
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("an uncommitted transaction left %v", ents)
	}
}

func TestLockIsExclusiveAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, TempPrefix+"provpack.lock-123")
	os.WriteFile(stale, []byte("half a lock"), 0o644)
	// Another process's lock: an open file description of its own.
	d, _ := os.Open(dir)
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Skip("no flock here:", err)
	}
	_, err := Lock(dir, "the manifest")
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "another provpack command is writing to") {
		t.Fatalf("want a BusyError, got %v", err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Fatal("a lock not taken removed a temporary file")
	}
	syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
	g, err := Lock(dir, "the manifest")
	if err != nil {
		t.Fatal(err)
	}
	// The same process may hold a directory twice (the output directory
	// is the manifest's).
	g2, err := Lock(dir, "the output directory")
	if err != nil {
		t.Fatal(err)
	}
	g2.Unlock()
	g.Unlock()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("the stale temporary file survived")
	}
}

// TestRemoveIsPartOfTheCommit: a file to remove is gone only when the
// commit succeeds; a commit that fails leaves it.
func TestRemoveIsPartOfTheCommit(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "stale.cab"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, "b"), []byte("old b"), 0o644)
	before := snapshot(t, dir)
	tx, _ := Begin(dir, Options{})
	stageAll(t, tx, map[string]string{"b": "new b"})
	tx.Remove("stale.cab")
	err := tx.Commit(false) // b differs: a conflict
	tx.End()
	if err == nil {
		t.Fatal("the commit did not fail")
	}
	sameSnapshot(t, "after the failed commit", before, snapshot(t, dir))

	tx, _ = Begin(dir, Options{})
	stageAll(t, tx, map[string]string{"b": "new b"})
	tx.Remove("stale.cab")
	if err := tx.Commit(true); err != nil {
		t.Fatal(err)
	}
	tx.End()
	sameSnapshot(t, "after the commit", map[string]string{"b": "new b"}, snapshot(t, dir))
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
