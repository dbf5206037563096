package cab

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

func signableFiles() []File {
	return []File{{Name: "a.provxml", Data: []byte("<wap-provisioningdoc/>\n")}, {Name: "dir/b.txt", Data: bytes.Repeat([]byte("provpack "), 5000)}}
}

// fakeSigned is a signable cabinet with sig appended as its signature.
func fakeSigned(t *testing.T, sig []byte) []byte {
	t.Helper()
	data := mustWrite(t, signableFiles(), WriteOptions{Signable: true})
	out, err := AppendSignature(data, sig)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSignableLayout: a signable cabinet differs from a plain one only by
// the 24 bytes of reserve (and the offsets they move); the signature
// area is padded to 8 bytes and located by Read; the digest leaves out the
// signature's place and length.
func TestSignableLayout(t *testing.T) {
	plain := mustWrite(t, signableFiles(), WriteOptions{})
	data := mustWrite(t, signableFiles(), WriteOptions{Signable: true})
	if len(data) != len(plain)+24 || !bytes.Equal(data[60+8*1:], plain[36+8:]) {
		t.Fatalf("signable cabinet is %d bytes, plain %d; the data after the header should be the same", len(data), len(plain))
	}
	checkOwnReader(t, data, signableFiles())
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil || c.IsSigned() {
		t.Fatalf("unsigned signable cabinet: %v, signed %v", err, c != nil && c.IsSigned())
	}
	h1 := sha256.New()
	if err := c.AuthenticodeDigest(h1); err != nil {
		t.Fatal(err)
	}
	signed := fakeSigned(t, []byte("0123456789"))
	if len(signed) != len(data)+16 || !bytes.Equal(signed[len(data):], []byte("0123456789\x00\x00\x00\x00\x00\x00")) {
		t.Fatalf("signature area %q", signed[len(data):])
	}
	c, err = Read(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSigned() || c.Signature.Offset != int64(len(data)) || c.Signature.Length != 16 || c.Size != int64(len(data)) || c.Unread != 0 {
		t.Fatalf("signature %+v, size %d, unread %d", c.Signature, c.Size, c.Unread)
	}
	h2 := sha256.New()
	if err := c.AuthenticodeDigest(h2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h1.Sum(nil), h2.Sum(nil)) {
		t.Error("the digest changed when the signature was appended")
	}
	if _, err := AppendSignature(signed, []byte("again")); err == nil {
		t.Error("AppendSignature on a signed cabinet: no error")
	}
	if _, err := AppendSignature(plain, []byte("x")); err == nil {
		t.Error("AppendSignature on a plain cabinet: no error")
	}
	// Every byte the digest covers matters; the signature's place does not.
	for _, off := range []int{2, 9, 0x1C, 0x38, 0x40, len(data) - 1} {
		b := bytes.Clone(signed)
		b[off] ^= 1
		h := sha256.New()
		cc, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			continue // broken structure: refused anyway
		}
		if cc.AuthenticodeDigest(h); bytes.Equal(h.Sum(nil), h1.Sum(nil)) {
			t.Errorf("flipping byte 0x%x leaves the digest unchanged", off)
		}
	}
}

// TestReadTrailingBytes: bytes after cbCabinet are read only as the
// signature the header reserve points to; anything else is refused with a
// message that says what the bytes are not.
func TestReadTrailingBytes(t *testing.T) {
	plain := mustWrite(t, signableFiles(), WriteOptions{})
	signable := mustWrite(t, signableFiles(), WriteOptions{Signable: true})
	signed := fakeSigned(t, []byte("0123456789"))
	patch := func(b []byte, f func(b []byte)) []byte {
		b = bytes.Clone(b)
		f(b)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"unsigned with trailing bytes", append(bytes.Clone(plain), "appended"...), `^cab: 8 trailing bytes after the end of the cabinet at \d+ bytes \(cbCabinet\); the header reserve points to no Authenticode signature there, so they are not a signed cabinet's signature: the file is damaged or has data appended$`},
		{"signable with trailing bytes", append(bytes.Clone(signable), "appended"...), `but the header reserve gives the signature a length of 0`},
		{"after the signature", append(bytes.Clone(signed), "appended"...), `^cab: 8 trailing bytes after the signed cabinet's signature \(16 bytes at offset \d+, as the header reserve says\)`},
		{"truncated signature", signed[:len(signed)-3], `the signature is truncated$`},
		{"signature elsewhere", patch(signed, func(b []byte) { le.PutUint32(b[0x2C:], 100) }), `^cab: the header reserve puts the Authenticode signature at offset 100, but the cabinet ends at \d+ \(cbCabinet\)`},
		// Bytes the Authenticode digest skips must hold what a signed
		// cabinet has there, or a changed file would still verify.
		{"iCabinet set", patch(signed, func(b []byte) { le.PutUint16(b[0x22:], 0x77) }), `^cab: signed cabinet says it is cabinet 119 of a set \(iCabinet\)`},
		{"reserve bytes 12-15 set", patch(signed, func(b []byte) { copy(b[0x34:], "EVIL") }), `^cab: signed cabinet has 45 56 49 4c in bytes 12-15 of its header reserve`},
		{"truncated cabinet", plain[:len(plain)-1], `^cab: header says the cabinet is \d+ bytes \(cbCabinet\), the input is only \d+ bytes: the file is truncated$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data), int64(len(tt.data)))
			if err == nil || !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

// TestReadMicrosoftSigned reads a cabinet signed by Microsoft's package
// generator whole, signature included, with the bytes cabextract gives.
func TestReadMicrosoftSigned(t *testing.T) {
	path := filepath.Join(realworldCabs(t), "ms_navigationbar_en-us.spkr.cab")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSigned() || c.Signature.Offset != 6826 || c.Signature.Length != 16200 || c.Unread != 0 {
		t.Fatalf("signature %+v, unread %d", c.Signature, c.Unread)
	}
	sig, err := c.SignatureBytes()
	if err != nil || len(sig) != 16200 || sig[0] != 0x30 {
		t.Fatalf("signature bytes: %v, %d bytes", err, len(sig))
	}
}

// TestDigestAgainstOsslsigncode signs provpack's own cabinet with
// osslsigncode and checks that Read locates the signature, that the
// bytes before it are the signable cabinet Write makes (so the layout is
// osslsigncode's), and that AuthenticodeDigest is the digest osslsigncode
// calculates; the same for Microsoft's signed package (SHA-1).
func TestDigestAgainstOsslsigncode(t *testing.T) {
	testutil.Tool(t, "osslsigncode", "osslsigncode")
	pki := testutil.NewPKI(t, "cab", false)
	dir := t.TempDir()
	plain := mustWrite(t, signableFiles(), WriteOptions{})
	writeFile(t, dir+"/plain.cab", plain)
	runTool(t, dir, "osslsigncode", "sign", "-certs", pki.ChainPEM, "-key", pki.KeyPEM, "-h", "sha256", "-in", "plain.cab", "-out", "signed.cab")
	signed, err := os.ReadFile(dir + "/signed.cab")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Read(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSigned() {
		t.Fatal("osslsigncode's cabinet: no signature found")
	}
	own := mustWrite(t, signableFiles(), WriteOptions{Signable: true})
	head := bytes.Clone(signed[:c.Size])
	le.PutUint32(head[0x30:], 0) // the signature's length
	if !bytes.Equal(head, own) {
		t.Error("osslsigncode's signed cabinet (before the signature) differs from Write's signable cabinet")
	}
	checkDigest(t, c, dir+"/signed.cab", sha256.New())
	checkOwnReader(t, signed, signableFiles())

	ms := filepath.Join(realworldCabs(t), "ms_navigationbar_en-us.spkr.cab")
	data, err := os.ReadFile(ms)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	checkDigest(t, mc, ms, sha1.New())
}

var calculated = regexp.MustCompile(`(?m)^Calculated message digest\s*:\s*([0-9A-F]+)\s*$`)

func checkDigest(t *testing.T, c *Cabinet, path string, h hash.Hash) {
	t.Helper()
	out, _ := toolOutput(filepath.Dir(path), "osslsigncode", "verify", "-in", path)
	m := calculated.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("osslsigncode verify printed no calculated digest:\n%s", out)
	}
	if err := c.AuthenticodeDigest(h); err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(h.Sum(nil))); got != m[1] {
		t.Errorf("%s: digest %s, osslsigncode calculates %s", filepath.Base(path), got, m[1])
	}
}
