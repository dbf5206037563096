package buildcache

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestArchiveReuse(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.cab"), []byte("archive"), 0o644)
	key := ArchiveKey("cab", 946684800, 5, "", []KeyPart{{Name: "m", Size: 1, SHA256: "00"}})
	if key == ArchiveKey("cab", 946684801, 5, "", []KeyPart{{Name: "m", Size: 1, SHA256: "00"}}) {
		t.Fatal("the key does not cover the epoch")
	}
	signed := ArchiveKey("cab", 946684800, 5, "sha256:aa time=0", []KeyPart{{Name: "m", Size: 1, SHA256: "00"}})
	if signed == key || signed == ArchiveKey("cab", 946684800, 5, "sha256:bb time=0", []KeyPart{{Name: "m", Size: 1, SHA256: "00"}}) {
		t.Fatal("the key does not cover the signer")
	}
	c := Load(dir)
	got := fileSum(t, filepath.Join(dir, "a.cab"))
	c.Record("a.cab", Entry{Key: key, SHA256: got, Size: 7})
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileName), data, 0o644)
	c = Load(dir)
	if _, ok := c.Reuse(dir, "a.cab", key); !ok {
		t.Fatal("an untouched archive is not reused")
	}
	if _, ok := c.Reuse(dir, "a.cab", "other"); ok {
		t.Error("reused under another key")
	}
	os.WriteFile(filepath.Join(dir, "a.cab"), []byte("ARCHIVE"), 0o644)
	if _, ok := c.Reuse(dir, "a.cab", key); ok {
		t.Error("a tampered archive of the same size is reused")
	}
	os.Remove(filepath.Join(dir, "a.cab"))
	if err := syscall.Mkfifo(filepath.Join(dir, "a.cab"), 0o644); err == nil {
		done := make(chan bool, 1)
		go func() { _, ok := c.Reuse(dir, "a.cab", key); done <- ok }()
		select {
		case ok := <-done:
			if ok {
				t.Error("a FIFO is reused")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Reuse blocked on a FIFO")
		}
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestLoadRefusesWhatIsNotACache(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version": 99, "archives": {"x": {}}}`), 0o644)
	if c := Load(dir); len(c.old) != 0 || c.Last != nil {
		t.Error("a cache of another version was read")
	}
	os.Remove(filepath.Join(dir, FileName))
	os.Mkdir(filepath.Join(dir, FileName), 0o755)
	if c := Load(dir); len(c.old) != 0 {
		t.Error("a directory was read as the cache")
	}
}

func TestWatchDigestSeesAChange(t *testing.T) {
	if !StampsWork() {
		t.Skip("no inode and change time here")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o644)
	later := time.Now().Add(time.Hour)
	d1 := WatchDigest("h", dir, []string{"a", "missing"}, later, 0)
	if d1 == "" || d1 != WatchDigest("h", dir, []string{"a", "missing"}, later, 0) {
		t.Fatal("the digest is not stable")
	}
	if WatchDigest("h2", dir, []string{"a", "missing"}, later, 0) == d1 {
		t.Error("the head is not covered")
	}
	os.WriteFile(filepath.Join(dir, "missing"), nil, 0o644)
	if WatchDigest("h", dir, []string{"a", "missing"}, later, 0) == d1 {
		t.Error("a file that appeared is not seen")
	}
	// A file younger than the window is not trusted.
	if WatchDigest("h", dir, []string{"a"}, time.Now(), time.Hour) != "" {
		t.Error("a recent stamp was trusted")
	}
}

func TestMemoIntact(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "out"), []byte("x"), 0o644)
	m := &Memo{}
	if err := m.StampOutputs(dir, []string{"out"}); err != nil {
		t.Fatal(err)
	}
	if !m.Intact(dir) {
		t.Fatal("untouched output is not intact")
	}
	os.WriteFile(filepath.Join(dir, "out"), []byte("y"), 0o644)
	if StampsWork() && m.Intact(dir) {
		t.Error("a rewritten output is intact")
	}
	if (&Memo{}).Intact(dir) {
		t.Error("a memo of no outputs is intact")
	}
}
