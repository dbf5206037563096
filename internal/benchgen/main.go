// Command benchgen writes a deterministic synthetic image for benchmarks:
//
//	go run ./internal/benchgen -pkgs 200 -files 5 -size 4096 -out DIR
//	go run ./internal/benchgen -shape realistic -out DIR
//
// -shape realistic writes an image of the same total size shaped like a
// real one: packages write each other's settings, several cold and update
// files per package, uneven sizes (see internal/imagegen). The same flags
// always write the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/provpack/provpack/internal/imagegen"
)

func main() {
	var o imagegen.Options
	flag.IntVar(&o.Packages, "pkgs", imagegen.Small.Packages, "number of packages")
	flag.IntVar(&o.Files, "files", imagegen.Small.Files, "provisioning files per package (tidy: first cold, rest update; realistic: on average)")
	flag.IntVar(&o.Size, "size", imagegen.Small.Size, "approximate bytes per file")
	flag.Int64Var(&o.Seed, "seed", 1, "random seed")
	shape := flag.String("shape", "tidy", "tidy: packages write only their own settings; realistic: conflicts, shadowing, uneven files")
	out := flag.String("out", "", "directory to write (required)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: benchgen [-shape tidy|realistic] [-pkgs N] [-files N] [-size BYTES] [-seed N] -out DIR")
		os.Exit(2)
	}
	var err error
	if o.Shape, err = imagegen.ParseShape(*shape); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(2)
	}
	path, err := imagegen.Generate(*out, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}
