package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/provpack/provpack/internal/testutil"
)

// updateScripts rewrites the scripts' expected files from what the
// commands print: go test ./cmd/provpack -run TestScripts -update.
var updateScripts = flag.Bool("update", false, "update testdata/script/*.txtar with what the commands print")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"provpack": func() {
			os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", filepath.Join(testutil.Root(), "fixtures"))
			return nil
		},
		RequireExplicitExec: true,
		UpdateScripts:       *updateScripts,
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				// chmod 000 does not stop root from reading or writing.
				return os.Geteuid() == 0, nil
			case "short":
				// go test -short: scripts that generate large inputs skip.
				return testing.Short(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			// pki NAME DIR writes a throwaway code-signing hierarchy into
			// DIR: root.pem, chain.pem (leaf, intermediate), key.pem
			// (the leaf's, PKCS#8 RSA) and signer.pfx (key and chain,
			// password s3cret).
			"pki": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: pki NAME DIR")
				}
				dir := ts.MkAbs(args[1])
				ts.Check(os.MkdirAll(dir, 0o755))
				p, err := testutil.WritePKI(dir, args[0], false)
				ts.Check(err)
				pfx, err := pkcs12.Modern.Encode(p.Key, p.Leaf, []*x509.Certificate{p.Intermediate}, "s3cret")
				ts.Check(err)
				ts.Check(os.WriteFile(filepath.Join(dir, "signer.pfx"), pfx, 0o600))
			},
			// treehash DIR OUT writes one line per file under DIR with its
			// SHA-256 (and per symlink with its target), to compare a tree
			// before and after a command.
			"treehash": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: treehash DIR OUT")
				}
				var b strings.Builder
				root := ts.MkAbs(args[0])
				err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					rel, _ := filepath.Rel(root, path)
					if strings.HasSuffix(rel, ".treehash") {
						return nil
					}
					if d.IsDir() {
						fmt.Fprintf(&b, "%s/\n", rel)
						return nil
					}
					if d.Type()&fs.ModeSymlink != 0 {
						target, err := os.Readlink(path)
						fmt.Fprintf(&b, "%s -> %s\n", rel, target)
						return err
					}
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					fmt.Fprintf(&b, "%s %x\n", rel, sha256.Sum256(data))
					return nil
				})
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
			},
			// exits CODE CMD ARGS... runs CMD like exec, then checks its
			// exit code and that it printed no Go stack trace.
			"exits": cmdExits,
			// json FILE [PATH=VALUE...] checks a JSON output: one object,
			// "schemaVersion": 1 first, and the values at PATHs.
			"json": cmdJSON,
			// replace FILE OLD NEW edits a file; contains FILE PART
			// checks that FILE holds PART's text.
			"replace":  cmdReplace,
			"contains": cmdContains,
			// genfile KIND OUT [ARG] writes big or binary hostile input.
			"genfile": cmdGenfile,
			// cabpatch SRC DST EDIT... writes a copy of cabinet SRC with
			// header fields changed.
			"cabpatch": cmdCabpatch,
			// tarzst OUT NAME[:DECLARED]... writes a tar.zst whose members
			// hold "x" under the given names.
			"tarzst": cmdTarzst,
			// zerocab OUT BLOCKS NAME[:OFFSET:SIZE]... writes a cabinet of
			// one MSZIP folder of BLOCKS × 32 KiB zero bytes, with file
			// entries claiming any part of it (the whole folder when no
			// OFFSET:SIZE is given).
			"zerocab": cmdZerocab,
			// zerotarzst OUT MIB NAME... writes a tar.zst whose members
			// each hold MIB mebibytes of zero bytes.
			"zerotarzst": cmdZerotarzst,
			// patchfile FILE flip=OFFSET|trunc=SIZE... flips the bits of
			// one byte (a negative offset counts from the end) or cuts
			// the file.
			"patchfile": cmdPatchfile,
			// mkfifo PATH makes a named pipe (scripts using it need [unix]).
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: mkfifo PATH")
				}
				ts.Check(mkfifo(ts.MkAbs(args[0])))
			},
			// utf16 SRC DST writes SRC as UTF-16LE with a byte-order mark.
			"utf16": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: utf16 SRC DST")
				}
				src := ts.ReadFile(args[0])
				out := []byte{0xFF, 0xFE}
				for _, r := range src {
					out = append(out, byte(r), 0)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
			},
		},
	})
}

// TestLintCorpus: the whole shared corpus through the CLI without a
// panic; every broken document makes lint exit 1 and names its position.
func TestLintCorpus(t *testing.T) {
	dir := testutil.Corpus(t)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"provpack", "lint", dir}, nil, &out, &errb)
	if code != exitFailed {
		t.Errorf("lint of the corpus exited %d, want %d (it holds error-level findings)", code, exitFailed)
	}
	broken, _ := filepath.Glob(filepath.Join(dir, "broken", "*.provxml"))
	for _, f := range broken {
		out.Reset()
		errb.Reset()
		code := run(context.Background(), []string{"provpack", "lint", f}, nil, &out, &errb)
		if code != exitFailed {
			t.Errorf("%s: exit %d, want 1", f, code)
		}
		if !strings.HasPrefix(out.String(), f+":") || !strings.Contains(out.String(), ": PX0001: error: ") {
			t.Errorf("%s: want a positioned PX0001 finding, got %q", f, out.String())
		}
	}
}
