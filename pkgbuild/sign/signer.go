package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/provpack/provpack/internal/boundedread"

	"software.sslmate.com/src/go-pkcs12"
)

// Signer is who signs: the certificate chain, leaf first, and the leaf's
// private key (or something that signs with it).
type Signer struct {
	Chain []*x509.Certificate
	Key   crypto.Signer
	// via says how the key is reached, for Identity: "key" or the
	// signing command.
	via string
}

// ContextSigner is a crypto.Signer whose signing can be cancelled (the
// command signer's is a process).
type ContextSigner interface {
	SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// Leaf is the signing certificate.
func (s *Signer) Leaf() *x509.Certificate { return s.Chain[0] }

// Identity is a digest of the certificate chain and of how the key is
// reached: a build cache keys signed archives with it, so that another
// certificate or key signs them again.
func (s *Signer) Identity() string {
	h := sha256.New()
	for _, c := range s.Chain {
		h.Write(c.Raw)
	}
	h.Write([]byte{0})
	h.Write([]byte(s.via))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// maxKeyFile bounds the certificate, key and PKCS#12 files read.
const maxKeyFile = 1 << 20

func readSmall(path, what string) ([]byte, error) {
	b, err := boundedread.Prefix(path, maxKeyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, notExistError{what, path}
	case errors.Is(err, boundedread.ErrIsDir), errors.Is(err, boundedread.ErrNotRegular):
		return nil, fmt.Errorf("reading the %s: %s is not a regular file", what, path)
	case err != nil:
		return nil, fmt.Errorf("reading the %s: %w", what, err)
	case len(b) > maxKeyFile:
		return nil, fmt.Errorf("the %s %s is larger than %d bytes; is it the right file?", what, path, maxKeyFile)
	}
	return b, nil
}

// notExistError is a key or certificate file that does not exist; it is
// fs.ErrNotExist to errors.Is.
type notExistError struct{ what, path string }

func (e notExistError) Error() string {
	return fmt.Sprintf("the %s %s does not exist", e.what, e.path)
}
func (e notExistError) Unwrap() error { return fs.ErrNotExist }

// LoadChain reads a PEM file of certificates, the signing certificate
// first and then the intermediates towards the root.
func LoadChain(path string) ([]*x509.Certificate, error) {
	return loadCerts(path, false)
}

// loadCerts reads a PEM file of certificates: a signing chain, or for
// trust the roots of verify --trust, whose messages say so.
func loadCerts(path string, trust bool) ([]*x509.Certificate, error) {
	what := "certificate chain"
	if trust {
		what = "trusted certificates"
	}
	data, err := readSmall(path, what)
	switch {
	case trust && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--trust: %s does not exist; --trust takes PEM CA certificates", path)
	case trust && err != nil:
		return nil, fmt.Errorf("--trust: %w", err)
	case err != nil:
		return nil, err
	}
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			if strings.Contains(b.Type, "PRIVATE KEY") {
				if trust {
					return nil, fmt.Errorf("--trust takes PEM CA certificates; %s holds a private key", path)
				}
				return nil, fmt.Errorf("%s: block %d is a private key; give the certificates with --sign-cert and the key with --sign-key", path, n)
			}
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			if trust {
				return nil, fmt.Errorf("--trust: %s: certificate %d: %w", path, n, err)
			}
			return nil, fmt.Errorf("%s: certificate %d: %w", path, n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		if trust {
			return nil, fmt.Errorf("--trust takes PEM CA certificates; %s holds none (-----BEGIN CERTIFICATE-----)", path)
		}
		return nil, fmt.Errorf("%s: no PEM certificate (-----BEGIN CERTIFICATE-----) found", path)
	}
	return certs, nil
}

// LoadPEM reads a signer from a PEM certificate chain (leaf first) and a
// PEM private key: PKCS#1 RSA, PKCS#8, or SEC 1 EC, unencrypted.
func LoadPEM(certFile, keyFile string) (*Signer, error) {
	chain, err := LoadChain(certFile)
	if err != nil {
		return nil, err
	}
	data, err := readSmall(keyFile, "private key")
	if err != nil {
		return nil, err
	}
	var key crypto.Signer
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "" {
			return nil, fmt.Errorf("%s: the private key is encrypted; decrypt it (openssl pkey -in KEY -out PLAIN), use --sign-pkcs12 with PROVPACK_SIGN_PASSWORD, or --sign-command", keyFile)
		}
		if key, err = parseKey(b.Bytes); err != nil {
			return nil, fmt.Errorf("%s: %w", keyFile, err)
		}
		break
	}
	if key == nil {
		return nil, fmt.Errorf("%s: no PEM private key (-----BEGIN ... PRIVATE KEY-----) found", keyFile)
	}
	return newSigner(chain, key, "key", certFile, keyFile)
}

func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("the private key is neither PKCS#8, PKCS#1 RSA nor SEC 1 EC")
}

// LoadPKCS12 reads a signer from a PKCS#12 (.pfx/.p12) file holding the
// key, its certificate and any intermediates.
func LoadPKCS12(path, password string) (*Signer, error) {
	data, err := readSmall(path, "PKCS#12 file")
	if err != nil {
		return nil, err
	}
	k, leaf, cas, err := pkcs12.DecodeChain(data, password)
	switch {
	case err == nil:
	case errors.Is(err, pkcs12.ErrIncorrectPassword) && password == "":
		return nil, fmt.Errorf("%s is password-protected and PROVPACK_SIGN_PASSWORD is not set; set it to the file's password", path)
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, fmt.Errorf("%s: wrong password; set PROVPACK_SIGN_PASSWORD to the file's password", path)
	case bytes.Contains(data, []byte("-----BEGIN ")):
		return nil, pemNotPKCS12(path, data)
	case !looksPKCS12(data):
		return nil, fmt.Errorf("%s is not a PKCS#12 (.pfx) file; --sign-pkcs12 takes one holding the signing key and its certificates (openssl pkcs12 -export writes one), or give PEM files with --sign-cert and --sign-key", path)
	default:
		return nil, fmt.Errorf("%s: reading PKCS#12: %w", path, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported private key type %T", path, k)
	}
	return newSigner(append([]*x509.Certificate{leaf}, cas...), key, "key", path, path)
}

// pemNotPKCS12 is the error for a PEM file given as PKCS#12: it says
// which flag takes what the file holds.
func pemNotPKCS12(path string, data []byte) error {
	var cert, key bool
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		cert = cert || b.Type == "CERTIFICATE"
		key = key || strings.HasSuffix(b.Type, "PRIVATE KEY")
	}
	switch {
	case cert && key:
		return fmt.Errorf("%s is PEM, not a PKCS#12 (.pfx) file: give its certificates in a file with --sign-cert and its key in another with --sign-key", path)
	case key:
		return fmt.Errorf("%s is a PEM private key, not a PKCS#12 (.pfx) file: give it with --sign-key (and the certificates with --sign-cert)", path)
	}
	return fmt.Errorf("%s is PEM, not a PKCS#12 (.pfx) file: give it with --sign-cert (and the key with --sign-key)", path)
}

// looksPKCS12 says whether data starts as a PKCS#12 PFX does: a SEQUENCE
// (DER, or BER of indefinite length) whose first element is the version,
// INTEGER 3. A file that does not is no PKCS#12 file at all, rather than
// a damaged one.
func looksPKCS12(data []byte) bool {
	if len(data) < 2 || data[0] != 0x30 {
		return false
	}
	off := 2
	if n := data[1]; n > 0x80 {
		off += int(n & 0x7f)
	}
	return len(data) >= off+3 && data[off] == 0x02 && data[off+1] == 0x01 && data[off+2] == 0x03
}

// newSigner checks that key belongs to the leaf and that provpack can
// sign with it. certFile and keyFile name where the chain and the key
// came from (the same file for PKCS#12).
func newSigner(chain []*x509.Certificate, key crypto.Signer, via, certFile, keyFile string) (*Signer, error) {
	where := certFile
	if keyFile != certFile {
		where = certFile + " and " + keyFile
	}
	if err := usableKey(key.Public()); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if !samePublic(chain[0].PublicKey, key.Public()) {
		return nil, keyMismatch(chain, key.Public(), certFile, keyFile)
	}
	// Refused now, not after every archive is signed with it: Windows and
	// verify --trust refuse the signatures of such a certificate.
	if err := codeSigningUsage(chain[0]); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return &Signer{Chain: chain, Key: key, via: via}, nil
}

// keyMismatch is the error for a key that does not belong to the first
// certificate of chain: "put the signing certificate first" only when it
// belongs to a later one.
func keyMismatch(chain []*x509.Certificate, pub crypto.PublicKey, certFile, keyFile string) error {
	for i, c := range chain[1:] {
		if samePublic(c.PublicKey, pub) {
			return fmt.Errorf("%s: the private key %s belongs to certificate %d (%s), not to the first (%s); put the signing certificate first", certFile, keyFile, i+2, c.Subject, chain[0].Subject)
		}
	}
	if keyFile == certFile {
		return fmt.Errorf("%s: the private key belongs to none of the file's certificates", certFile)
	}
	return fmt.Errorf("the private key %s belongs to none of the certificates in %s; give the key of the signing certificate (%s) with --sign-key", keyFile, certFile, chain[0].Subject)
}

func usableKey(pub crypto.PublicKey) error {
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return nil
	}
	return fmt.Errorf("a %T key cannot make an Authenticode signature; use an RSA or ECDSA key", pub)
}

func samePublic(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// NewCommandSigner is a signer whose key stays outside provpack: the
// chain comes from certFile (PEM, leaf first) and each signature from
// running command through the shell. The command gets the digest to sign
// on stdin (raw bytes) and in the environment, and writes the raw
// signature to stdout:
//
//	PROVPACK_SIGN_DIGEST_ALGORITHM  SHA256
//	PROVPACK_SIGN_DIGEST            the digest in lower-case hex
//	PROVPACK_SIGN_KEY_TYPE          RSA or ECDSA
//
// For RSA the signature is PKCS#1 v1.5 over the DigestInfo of the
// digest; for ECDSA an ASN.1 ECDSA-Sig-Value. "openssl pkeyutl -sign
// -inkey KEY -pkeyopt digest:sha256" is such a command. provpack checks
// every signature it gets against the certificate's key.
func NewCommandSigner(certFile, command string) (*Signer, error) {
	if strings.TrimSpace(command) == "" {
		return nil, errors.New("--sign-command is empty")
	}
	chain, err := LoadChain(certFile)
	if err != nil {
		return nil, err
	}
	if err := usableKey(chain[0].PublicKey); err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if err := codeSigningUsage(chain[0]); err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	k := &commandKey{command: command, pub: chain[0].PublicKey}
	return &Signer{Chain: chain, Key: k, via: "command " + command}, nil
}

type commandKey struct {
	command string
	pub     crypto.PublicKey
}

func (k *commandKey) Public() crypto.PublicKey { return k.pub }

func (k *commandKey) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.SignContext(context.Background(), digest, opts)
}

// maxCommandOutput bounds what the signing command may print.
const maxCommandOutput = 64 << 10

// commandWaitDelay is how long a signing command's output may stay open
// after the command has ended or been killed (exec.Cmd.WaitDelay).
const commandWaitDelay = 2 * time.Second

func (k *commandKey) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 {
		return nil, fmt.Errorf("signing command: only SHA-256 digests are signed, not %v", opts.HashFunc())
	}
	keyType := "RSA"
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		keyType = "ECDSA"
	}
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", k.command)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", k.command)
	}
	// A cancelled build stops the command and every process it started;
	// once the command has ended or been killed, its output may stay open
	// (held by a process it left behind) for at most commandWaitDelay.
	killGroupOnCancel(cmd)
	cmd.WaitDelay = commandWaitDelay
	cmd.Env = append(os.Environ(),
		"PROVPACK_SIGN_DIGEST_ALGORITHM=SHA256",
		"PROVPACK_SIGN_DIGEST="+hex.EncodeToString(digest),
		"PROVPACK_SIGN_KEY_TYPE="+keyType)
	cmd.Stdin = bytes.NewReader(digest)
	var out, errOut limitedBuffer
	out.max, errOut.max = maxCommandOutput, 4<<10
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	msg := strings.TrimSpace(errOut.String())
	if msg != "" {
		msg = ": " + msg
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("signing command %q: %v%s", k.command, err, msg)
	case out.over:
		return nil, fmt.Errorf("signing command %q printed more than %d bytes; it must print only the raw signature", k.command, maxCommandOutput)
	case out.Len() == 0:
		return nil, fmt.Errorf("signing command %q printed no signature on stdout%s", k.command, msg)
	}
	sig := bytes.Clone(out.Bytes())
	if err := checkSignature(k.pub, crypto.SHA256, digest, sig); err != nil {
		return nil, fmt.Errorf("signing command %q: its output is not an %s signature of the digest by the certificate's key (%v); it must print the raw signature (PKCS#1 v1.5 for RSA, ASN.1 for ECDSA) made with the key of the first certificate in --sign-cert", k.command, keyType, err)
	}
	return sig, nil
}

// limitedBuffer keeps at most max bytes and notes whether more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// checkSignature verifies sig over digest with pub.
func checkSignature(pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, h, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("ECDSA verification failed")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T", pub)
}
