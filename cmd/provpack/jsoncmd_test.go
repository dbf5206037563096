package main

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSON: json FILE [PATH=VALUE...] checks that FILE holds one JSON
// object whose first member is "schemaVersion": 1, and that each
// dot-separated PATH (array elements by index: archives.0.path) holds
// VALUE, compared as its JSON text with strings unquoted.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: json FILE [PATH=VALUE...]")
	}
	data := ts.ReadFile(args[0])
	if !strings.HasPrefix(data, "{\n  \"schemaVersion\": 1,") && data != "{\n  \"schemaVersion\": 1\n}\n" {
		ts.Fatalf("%s does not start with \"schemaVersion\": 1:\n%s", args[0], data)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	if dec.More() {
		ts.Fatalf("%s holds more than one JSON value", args[0])
	}
	for _, a := range args[1:] {
		path, want, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("json: %q is not PATH=VALUE", a)
		}
		got := v
		for _, k := range strings.Split(path, ".") {
			switch x := got.(type) {
			case map[string]any:
				got = x[k]
			case []any:
				i := -1
				for n, c := range k {
					if c < '0' || c > '9' || n > 6 {
						ts.Fatalf("json %s: %q is no index", path, k)
					}
					i = max(i, 0)*10 + int(c-'0')
				}
				if i < 0 || i >= len(x) {
					ts.Fatalf("json %s: index %d out of %d", path, i, len(x))
				}
				got = x[i]
			default:
				ts.Fatalf("json %s: %q is inside a %T", path, k, got)
			}
		}
		text := ""
		if s, ok := got.(string); ok {
			text = s
		} else {
			b, _ := json.Marshal(got)
			text = string(b)
		}
		if text != want {
			ts.Fatalf("json %s = %s, want %s", path, text, want)
		}
	}
}

// cmdReplace: replace FILE OLD NEW replaces the one occurrence of OLD in
// FILE by NEW, as a person editing the file would.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	data := ts.ReadFile(args[0])
	if n := strings.Count(data, args[1]); n != 1 {
		ts.Fatalf("%s holds %q %d times, want once", args[0], args[1], n)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Replace(data, args[1], args[2], 1)), 0o644))
}

// cmdContains: contains FILE PART checks that FILE holds the text of
// file PART.
func cmdContains(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: contains FILE PART")
	}
	if got := strings.Contains(ts.ReadFile(args[0]), ts.ReadFile(args[1])); got == neg {
		ts.Fatalf("%s: holds %s: %v, want %v", args[0], args[1], got, !neg)
	}
}
