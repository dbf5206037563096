package archive

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// peDigests streams data through memberDigests in chunks of n bytes.
func peDigests(data []byte, n int) [][]byte {
	d := newMemberDigests()
	for len(data) > 0 {
		k := min(n, len(data))
		d.Write(data[:k])
		data = data[k:]
	}
	return d.sums()
}

// TestPEImageHash checks the Authenticode image hash of a PE against
// osslsigncode's: a Windows executable built by the Go toolchain is
// signed by osslsigncode, whose verify prints the digest it calculates
// (leaving out the checksum, the certificate table entry and the
// signature); memberDigests must compute the same, however the bytes
// arrive. A file that is not a PE gets its SHA-1 only.
func TestPEImageHash(t *testing.T) {
	ossl := testutil.Tool(t, "osslsigncode", "osslsigncode")
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "hi.exe")
	build := exec.Command(testutil.Tool(t, "go", "golang-go"), "build", "-o", exe, src)
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building a Windows executable: %v\n%s", err, out)
	}
	pki := testutil.NewPKI(t, "pe", false)
	signed := filepath.Join(dir, "signed.exe")
	if out, err := exec.Command(ossl, "sign", "-certs", pki.ChainPEM, "-key", pki.KeyPEM, "-h", "sha256", "-in", exe, "-out", signed).CombinedOutput(); err != nil {
		t.Fatalf("osslsigncode sign: %v\n%s", err, out)
	}
	out, _ := exec.Command(ossl, "verify", "-in", signed).CombinedOutput()
	m := regexp.MustCompile(`Calculated message digest\s*:\s*([0-9A-Fa-f]{64})`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("osslsigncode verify printed no calculated digest:\n%s", out)
	}
	want := strings.ToLower(string(m[1]))
	data, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 7, 4096, len(data)} {
		sums := peDigests(data, n)
		if len(sums) != 3 {
			t.Fatalf("chunks of %d: %d digests, want SHA-1, PE SHA-1, PE SHA-256", n, len(sums))
		}
		if got := hex.EncodeToString(sums[2]); got != want {
			t.Errorf("chunks of %d: PE SHA-256 %s, osslsigncode calculates %s", n, got, want)
		}
		if s := sha1.Sum(data); !bytes.Equal(sums[0], s[:]) {
			t.Errorf("chunks of %d: SHA-1 of the file is wrong", n)
		}
	}
	// The image hash leaves out the signature: the unsigned file, padded
	// as osslsigncode pads it before signing, has the same one.
	unsigned, _ := os.ReadFile(exe)
	if pad := len(unsigned) % 8; pad != 0 {
		unsigned = append(unsigned, make([]byte, 8-pad)...)
	}
	if got := hex.EncodeToString(peDigests(unsigned, 512)[2]); got != want {
		t.Errorf("unsigned: PE SHA-256 %s, want %s", got, want)
	}
	for _, notPE := range [][]byte{nil, []byte("M"), []byte("MZ"), append([]byte("MZ"), make([]byte, 100)...), []byte("<xml/>")} {
		if sums := peDigests(notPE, 3); len(sums) != 1 {
			t.Errorf("%q: %d digests, want the SHA-1 only", notPE, len(sums))
		}
	}
}
