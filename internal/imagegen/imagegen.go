// Package imagegen writes deterministic synthetic images for benchmarks:
// a provpack.yaml and realistic provisioning files (Registry values of
// every datatype, connection entries, favourites) that lint clean. The same
// options always give the same bytes.
//
// An image has one of two shapes. Tidy (the default) gives every package
// one cold file and Files-1 update files of about Size bytes each, and no
// two packages write the same setting. Realistic is shaped like a real
// image of the same total size (see realistic.go): packages write each
// other's settings, several cold and several update files per package,
// files and packages of uneven size.
package imagegen

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options size the image.
type Options struct {
	Packages int   // number of packages
	Files    int   // provisioning files per package; the first is cold, the rest update
	Size     int   // approximate bytes per file
	Seed     int64 // PRNG seed; 0 means 1
	Shape    Shape // Tidy (the zero value) or Realistic
}

// Small and Large are the two images the benchmarks use; SmallRealistic
// is the small image's size in the realistic shape.
var (
	Small          = Options{Packages: 200, Files: 5, Size: 4096}
	Large          = Options{Packages: 2000, Files: 10, Size: 20480}
	SmallRealistic = Options{Packages: 200, Files: 5, Size: 4096, Shape: Realistic}
)

// Shape is how an image's packages relate to each other.
type Shape int

const (
	// Tidy: one cold and Files-1 update files of about Size bytes per
	// package; every package writes only its own settings.
	Tidy Shape = iota
	// Realistic: Packages×Files files of as many bytes in all as Tidy,
	// spread unevenly; packages write the same settings with different
	// values (conflicts, shadowing of Microsoft-owned packages), update
	// files re-set what the package's cold files set.
	Realistic
)

func (s Shape) String() string {
	switch s {
	case Tidy:
		return "tidy"
	case Realistic:
		return "realistic"
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// ParseShape reads "tidy" or "realistic".
func ParseShape(s string) (Shape, error) {
	switch s {
	case "tidy":
		return Tidy, nil
	case "realistic":
		return Realistic, nil
	}
	return 0, fmt.Errorf("unknown shape %q (want tidy or realistic)", s)
}

// Generate writes the image into dir and returns the manifest's path.
func Generate(dir string, o Options) (string, error) {
	if o.Packages < 1 || o.Files < 1 || o.Size < 1 {
		return "", fmt.Errorf("packages, files and size must be positive")
	}
	seed := uint64(o.Seed)
	if seed == 0 {
		seed = 1
	}
	rng := rand.New(rand.NewPCG(seed, 0x70726f767061636b))
	switch o.Shape {
	case Tidy:
	case Realistic:
		return generateRealistic(dir, o, rng)
	default:
		return "", fmt.Errorf("unknown shape %d", int(o.Shape))
	}
	var m strings.Builder
	m.WriteString("# Synthetic image written by internal/imagegen for benchmarks.\nimage: bench\nrelease: 1.0.0\ntarget: wm6\npackages:\n")
	for p := range o.Packages {
		name := fmt.Sprintf("OEM_Pkg%04d", p)
		pdir := filepath.Join(dir, "provxml", name)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return "", err
		}
		for f := range o.Files {
			doc := document(rng, name, f, o.Size)
			if err := os.WriteFile(filepath.Join(pdir, fmt.Sprintf("%02d.provxml", f)), doc, 0o644); err != nil {
				return "", err
			}
		}
		owner := "oem"
		if p%4 == 3 {
			owner = "operator"
		}
		fmt.Fprintf(&m, "  - name: %s\n    version: 1.%d.0\n    owner: %s\n    cold:\n      - file: provxml/%s/00.provxml\n", name, p%7, owner, name)
		if o.Files > 1 {
			fmt.Fprintf(&m, "    update:\n      - file: provxml/%s/0[1-9].provxml\n", name)
			if o.Files > 10 {
				fmt.Fprintf(&m, "      - file: provxml/%s/[1-9][0-9].provxml\n", name)
			}
		}
	}
	path := filepath.Join(dir, "provpack.yaml")
	return path, os.WriteFile(path, []byte(m.String()), 0o644)
}

var words = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima
mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu scanner
printer barcode wireless cellular display keypad battery backlight volume ringtone network proxy`)

func word(rng *rand.Rand) string { return words[rng.IntN(len(words))] }

// document writes one provisioning file of about size bytes. Keys are
// unique per package and file, so packages never write each other's
// settings.
func document(rng *rand.Rand, pkg string, file, size int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<wap-provisioningdoc>\n")
	for block := 0; b.Len() < size-200; block++ {
		switch block % 4 {
		case 0, 1:
			fmt.Fprintf(&b, "  <characteristic type=\"Registry\">\n    <characteristic type=\"HKLM\\Software\\Contoso\\%s\\F%d\\K%d\">\n", pkg, file, block)
			for i := range 4 + rng.IntN(6) {
				w := word(rng)
				name := fmt.Sprintf("%s%s%d", strings.ToUpper(w[:1]), w[1:], i)
				switch rng.IntN(6) {
				case 0:
					fmt.Fprintf(&b, "      <parm name=\"%s\" value=\"%d\" datatype=\"integer\"/>\n", name, rng.Int32N(1<<30))
				case 1:
					fmt.Fprintf(&b, "      <parm name=\"%s\" value=\"%d\" datatype=\"boolean\"/>\n", name, rng.IntN(2))
				case 2:
					raw := make([]byte, 8+rng.IntN(24))
					for k := range raw {
						raw[k] = byte(rng.IntN(256))
					}
					fmt.Fprintf(&b, "      <parm name=\"%s\" value=\"%s\" datatype=\"binary\"/>\n", name, base64.StdEncoding.EncodeToString(raw))
				case 3:
					fmt.Fprintf(&b, "      <parm name=\"%s\" value=\"%s&#xF000;%s&#xF000;&#xF000;\" datatype=\"multiplestring\"/>\n", name, word(rng), word(rng))
				default:
					fmt.Fprintf(&b, "      <parm name=\"%s\" value=\"%s %s %d\" datatype=\"string\"/>\n", name, word(rng), word(rng), rng.IntN(1000))
				}
			}
			b.WriteString("    </characteristic>\n  </characteristic>\n")
		case 2:
			fmt.Fprintf(&b, "  <characteristic type=\"CM_GPRSEntries\">\n    <characteristic type=\"%s %d-%d\">\n      <parm name=\"DestId\" value=\"{436EF144-B4FB-4863-A041-8F905A62C572}\"/>\n      <characteristic type=\"DevSpecificCellular\">\n        <parm name=\"GPRSInfoValid\" value=\"1\"/>\n        <parm name=\"GPRSInfoAccessPointName\" value=\"%s.%s.example\"/>\n      </characteristic>\n    </characteristic>\n  </characteristic>\n",
				pkg, file, block, word(rng), word(rng))
		default:
			fmt.Fprintf(&b, "  <characteristic type=\"BrowserFavorite\">\n    <characteristic type=\"%s %s %d-%d\">\n      <parm name=\"URL\" value=\"http://%s.example/%s?id=%d&amp;f=%d\"/>\n    </characteristic>\n  </characteristic>\n",
				pkg, word(rng), file, block, word(rng), word(rng), rng.IntN(100000), file)
		}
	}
	b.WriteString("</wap-provisioningdoc>\n")
	return []byte(b.String())
}
