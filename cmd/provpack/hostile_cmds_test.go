package main

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/provpack/provpack/internal/testutil"
)

// Custom testscript commands that make hostile input the scripts in
// testdata/script/hostile-*.txtar feed to provpack.

var stackTrace = regexp.MustCompile(`(?m)^(panic: |goroutine \d+ \[)`)

// cmdExits: exits CODE CMD ARGS...
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if stderr := ts.ReadFile("stderr"); stackTrace.MatchString(stderr) {
		ts.Fatalf("%s printed a Go stack trace", args[1])
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdGenfile: genfile KIND OUT [ARG]
//
//	deepxml N      N nested <characteristic> elements (200,000 fit in 8 MiB)
//	bigattr MB     an attribute value of MB mebibytes
//	badutf8        a document with a Latin-1 é in a value on line 3
//	nul            a document with a NUL byte on line 2
//	utf16nobom SRC SRC as UTF-16LE without a byte-order mark
//	deepyaml N     N nested block mappings
//	flowyaml N     N nested flow sequences
//	zeros MB       MB mebibytes of zero bytes
func cmdGenfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: genfile KIND OUT [ARG]")
	}
	kind, out := args[0], ts.MkAbs(args[1])
	arg := func() string {
		if len(args) != 3 {
			ts.Fatalf("genfile %s needs an argument", kind)
		}
		return args[2]
	}
	num := func() int {
		n, err := strconv.Atoi(arg())
		ts.Check(err)
		return n
	}
	var b bytes.Buffer
	switch kind {
	case "deepxml":
		n := num()
		b.WriteString("<wap-provisioningdoc>")
		b.WriteString(strings.Repeat(`<characteristic>`, n))
		b.WriteString(strings.Repeat(`</characteristic>`, n))
		b.WriteString("</wap-provisioningdoc>\n")
	case "bigattr":
		b.WriteString("<wap-provisioningdoc>\n  <characteristic type=\"")
		b.Write(bytes.Repeat([]byte("A"), num()<<20))
		b.WriteString("\"/>\n</wap-provisioningdoc>\n")
	case "badutf8":
		b.WriteString("<wap-provisioningdoc>\n  <characteristic type=\"Registry\">\n    <parm name=\"Caf\xe9\" value=\"1\"/>\n  </characteristic>\n</wap-provisioningdoc>\n")
	case "nul":
		b.WriteString("<wap-provisioningdoc>\n  <characteristic\x00 type=\"Registry\"/>\n</wap-provisioningdoc>\n")
	case "utf16nobom":
		for _, r := range ts.ReadFile(arg()) {
			b.WriteByte(byte(r))
			b.WriteByte(0)
		}
	case "deepyaml":
		n := num()
		for i := range n {
			b.WriteString(strings.Repeat(" ", i))
			b.WriteString("a:\n")
		}
	case "flowyaml":
		n := num()
		b.WriteString("image: x\npackages: ")
		b.WriteString(strings.Repeat("[", n))
		b.WriteString(strings.Repeat("]", n))
		b.WriteString("\n")
	case "zeros":
		b.Write(make([]byte, num()<<20))
	default:
		ts.Fatalf("genfile: unknown kind %q", kind)
	}
	ts.Check(os.WriteFile(out, b.Bytes(), 0o644))
}

// cmdCabpatch: cabpatch SRC DST EDIT...
//
//	compress=N        typeCompress of the first folder
//	checksum          corrupt the checksum of the first data block
//	size=N            cbFile of the first file
//	rename=OLD=NEW    a member name, in place (same length)
func cmdCabpatch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: cabpatch SRC DST EDIT...")
	}
	b := []byte(ts.ReadFile(args[0]))
	le := binary.LittleEndian
	if len(b) < 44 || string(b[:4]) != "MSCF" || le.Uint16(b[0x1E:])&4 != 0 {
		ts.Fatalf("cabpatch: %s is not a cabinet without reserve fields", args[0])
	}
	const folder = 36
	coffFiles := le.Uint32(b[0x10:])
	for _, edit := range args[2:] {
		key, val, _ := strings.Cut(edit, "=")
		switch key {
		case "compress":
			n, err := strconv.Atoi(val)
			ts.Check(err)
			le.PutUint16(b[folder+6:], uint16(n))
		case "checksum":
			data := le.Uint32(b[folder:])
			b[data] ^= 0xFF
		case "size":
			n, err := strconv.Atoi(val)
			ts.Check(err)
			le.PutUint32(b[coffFiles:], uint32(n))
		case "files":
			n, err := strconv.Atoi(val)
			ts.Check(err)
			le.PutUint16(b[0x1C:], uint16(n))
		case "rename":
			old, nw, ok := strings.Cut(val, "=")
			if !ok || len(old) != len(nw) {
				ts.Fatalf("cabpatch: rename=OLD=NEW needs names of the same length")
			}
			k := bytes.Index(b[coffFiles:], []byte(old+"\x00"))
			if k < 0 {
				ts.Fatalf("cabpatch: no member %q", old)
			}
			copy(b[int(coffFiles)+k:], nw)
		default:
			ts.Fatalf("cabpatch: unknown edit %q", edit)
		}
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}

// cmdTarzst: tarzst OUT NAME[:DECLARED|@FILE]...
//
// A NAME in double quotes is a Go string literal, for names with control
// characters ('"a\x1b[2J"'); @FILE takes the member's bytes from FILE
// instead of "x".
func cmdTarzst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: tarzst OUT NAME[:DECLARED|@FILE]...")
	}
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	type patch struct {
		at       int
		declared int64
	}
	var patches []patch
	for _, a := range args[1:] {
		var name, rest string
		if strings.HasPrefix(a, `"`) {
			lit, err := strconv.QuotedPrefix(a)
			ts.Check(err)
			name, _ = strconv.Unquote(lit)
			rest = strings.TrimPrefix(a[len(lit):], ":")
		} else {
			name, rest, _ = strings.Cut(a, ":")
			if n, file, ok := strings.Cut(a, "@"); ok {
				name, rest = n, "@"+file
			}
		}
		data := []byte("x")
		if file, ok := strings.CutPrefix(rest, "@"); ok {
			data = []byte(ts.ReadFile(file))
		} else if rest != "" {
			n, err := strconv.ParseInt(rest, 10, 64)
			ts.Check(err)
			patches = append(patches, patch{raw.Len(), n})
		}
		ts.Check(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(946684800, 0)}))
		_, err := tw.Write(data)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	b := raw.Bytes()
	for _, p := range patches {
		// Size at 124 (12 bytes of octal), checksum at 148 (8 bytes).
		h := b[p.at : p.at+512]
		copy(h[124:136], fmt.Sprintf("%011o\x00", p.declared))
		copy(h[148:156], "        ")
		sum := 0
		for _, c := range h {
			sum += int(c)
		}
		copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	}
	var out bytes.Buffer
	zw, err := zstd.NewWriter(&out)
	ts.Check(err)
	_, err = zw.Write(b)
	ts.Check(err)
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o644))
}

// cmdPatchfile: patchfile FILE flip=OFFSET|trunc=SIZE...
func cmdPatchfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: patchfile FILE flip=OFFSET|trunc=SIZE...")
	}
	b := []byte(ts.ReadFile(args[0]))
	for _, edit := range args[1:] {
		key, val, _ := strings.Cut(edit, "=")
		n, err := strconv.Atoi(val)
		ts.Check(err)
		switch {
		case key == "flip" && n < 0 && -n <= len(b):
			b[len(b)+n] ^= 0xFF
		case key == "flip" && n >= 0 && n < len(b):
			b[n] ^= 0xFF
		case key == "trunc" && n >= 0 && n <= len(b):
			b = b[:n]
		default:
			ts.Fatalf("patchfile: cannot apply %q to %d bytes", edit, len(b))
		}
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// cmdZerocab: zerocab OUT BLOCKS NAME[:OFFSET:SIZE]...
func cmdZerocab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: zerocab OUT BLOCKS NAME[:OFFSET:SIZE]...")
	}
	blocks, err := strconv.Atoi(args[1])
	ts.Check(err)
	var es []testutil.CabEntry
	for _, a := range args[2:] {
		e := testutil.CabEntry{Name: a, Size: uint32(blocks) << 15}
		if name, rest, ok := strings.Cut(a, ":"); ok {
			off, size, _ := strings.Cut(rest, ":")
			o, err := strconv.ParseUint(off, 10, 32)
			ts.Check(err)
			n, err := strconv.ParseUint(size, 10, 32)
			ts.Check(err)
			e = testutil.CabEntry{Name: name, Offset: uint32(o), Size: uint32(n)}
		}
		es = append(es, e)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), testutil.ZeroCab(blocks, es), 0o644))
}

// cmdZerotarzst: zerotarzst OUT MIB NAME...
func cmdZerotarzst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: zerotarzst OUT MIB NAME...")
	}
	mib, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), testutil.ZeroTarZst(args[2:], int64(mib)<<20), 0o644))
}
