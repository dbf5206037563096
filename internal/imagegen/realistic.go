package imagegen

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// The realistic shape. Packages×Files files holding as many bytes as the
// tidy image of the same options (within a block), but:
//
//   - packages have 3 to 7 files when Files is 5 (Files-2 … Files+2, at
//     least 2), at least two of them cold when there are three or more; a
//     package's bytes are 0.4 to 1.6 times the average, spread unevenly
//     over its files, cold files taking more;
//   - owners are mixed: every 25th package is Microsoft-owned and the next
//     one silicon, every 4th operator, the rest OEM;
//   - about one block in ten writes Registry keys shared by a cluster
//     of about four packages (p, p+P/4, p+P/2, p+3P/4: different owners and
//     far apart in processing order), with values from small sets, so some
//     conflicts have different values and some the same; a few of those
//     writes delete the value instead;
//   - Microsoft-owned packages set a pool of platform keys (volume,
//     ringtone, power timeouts, …) in their first cold file; other
//     packages override some of them, which shadows Microsoft's settings;
//   - a quarter of operator packages' connections take one of 24 shared
//     names, so operator packages write the same CM_GPRSEntries entries;
//   - update files re-set values of the package's own cold files;
//   - mixed datatypes (integer, string, boolean, binary, multiplestring)
//     under Registry, none outside it; a fifth of the files use CRLF line
//     ends, some start with a comment, several keys share one Registry
//     characteristic;
//   - the manifest lists cold files one by one, update files by a glob or
//     one by one, gives some packages an inline setting (a cluster key)
//     and some a requirement on the first Microsoft package.
//
// Conflicts and shadowing are warnings (PP0203, PP0204): the image builds
// without an error-level finding.

// tidyOvershoot is how far the tidy shape's files exceed Size on average
// (they end at the first block past Size-200: Small is 4,212,227 bytes,
// not 4,096,000); the realistic shape aims at the same total.
const tidyOvershoot = 116

type regValue struct{ name, datatype string }

type regKey struct {
	path   string
	values []regValue
}

// platformKeys are the keys Microsoft-owned packages set and others
// override.
var platformKeys = []string{
	`HKCU\ControlPanel\Volume`,
	`HKCU\ControlPanel\Sounds\RingTone0`,
	`HKCU\ControlPanel\Backlight`,
	`HKCU\ControlPanel\Keybd`,
	`HKLM\System\CurrentControlSet\Control\Power\Timeouts`,
	`HKLM\System\CurrentControlSet\Control\Power\State`,
	`HKLM\Software\Microsoft\Shell\Rai`,
	`HKLM\Software\Microsoft\Shell\StartMenu`,
	`HKLM\Software\Microsoft\Inbox\Settings`,
	`HKLM\Software\Microsoft\Internet Explorer\Main`,
	`HKLM\Software\Microsoft\Bluetooth\Settings`,
	`HKLM\Software\Microsoft\Clock`,
	`HKLM\Software\Microsoft\Today\Items\Date`,
	`HKLM\Software\Microsoft\ConnMgr\Planner\Settings`,
	`HKLM\Security\Policies\Policies`,
	`HKLM\Drivers\BuiltIn\Keypad`,
}

// Operator packages share connection names: a brand and a service.
var (
	connectionBrands   = []string{"Contoso", "Fabrikam", "Northwind", "Woodgrove", "Litware", "Tailspin"}
	connectionServices = []string{"Internet", "MMS", "WAP", "Data"}
)

var datatypes = []string{
	"integer", "integer", "integer",
	"string", "string", "string",
	"boolean", "boolean",
	"binary",
	"multiplestring", "multiplestring",
}

func title(w string) string { return strings.ToUpper(w[:1]) + w[1:] }

func newKey(rng *rand.Rand, path string, n int) regKey {
	k := regKey{path: path}
	for i := range n {
		k.values = append(k.values, regValue{name: fmt.Sprintf("%s%d", title(word(rng)), i), datatype: datatypes[rng.IntN(len(datatypes))]})
	}
	return k
}

// value is a value of datatype dt. Values come from small sets, so two
// packages writing one setting sometimes agree.
func value(rng *rand.Rand, dt string) string {
	switch dt {
	case "integer":
		return fmt.Sprint([]int{0, 1, 5, 30, 60, 120, 300, 3600, -1, 65535}[rng.IntN(10)])
	case "boolean":
		return fmt.Sprint(rng.IntN(2))
	case "binary":
		raw := make([]byte, 4+4*rng.IntN(6))
		for k := range raw {
			raw[k] = byte(rng.IntN(4))
		}
		return base64.StdEncoding.EncodeToString(raw)
	case "multiplestring":
		return fmt.Sprintf("%s&#xF000;%s&#xF000;&#xF000;", word(rng), word(rng))
	}
	switch rng.IntN(8) {
	case 0:
		return fmt.Sprintf("%s &amp; %s", word(rng), word(rng))
	case 1:
		return fmt.Sprintf(`\Windows\%s.wav`, word(rng))
	}
	return fmt.Sprintf("%s %s", word(rng), word(rng))
}

// subset is n distinct indexes below len, in order.
func subset(rng *rand.Rand, length, n int) []int {
	n = min(n, length)
	idx := rng.Perm(length)[:n]
	for i := 1; i < len(idx); i++ { // insertion sort: n is small
		for j := i; j > 0 && idx[j] < idx[j-1]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx
}

type realPackage struct {
	name, owner, vendor string
	cluster             int
	platform            []int    // indexes into the platform pool this package owns (Microsoft only)
	coldKeys            []regKey // own keys set by cold files, re-set by update files
	nextKey             int
}

// writeKeys writes one Registry characteristic holding the given keys;
// vals[i] are the indexes into keys[i].values to write, del the values
// to delete instead.
func writeKeys(b *strings.Builder, rng *rand.Rand, keys []regKey, vals [][]int, delPct int) {
	b.WriteString("  <characteristic type=\"Registry\">\n")
	for i, k := range keys {
		fmt.Fprintf(b, "    <characteristic type=\"%s\">\n", k.path)
		for _, j := range vals[i] {
			v := k.values[j]
			if delPct > 0 && rng.IntN(100) < delPct {
				fmt.Fprintf(b, "      <noparm name=\"%s\"/>\n", v.name)
				continue
			}
			fmt.Fprintf(b, "      <parm name=\"%s\" value=\"%s\" datatype=\"%s\"/>\n", v.name, value(rng, v.datatype), v.datatype)
		}
		b.WriteString("    </characteristic>\n")
	}
	b.WriteString("  </characteristic>\n")
}

func all(k regKey) []int {
	idx := make([]int, len(k.values))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func generateRealistic(dir string, o Options, rng *rand.Rand) (string, error) {
	platform := make([]regKey, len(platformKeys))
	for i, path := range platformKeys {
		platform[i] = newKey(rng, path, 3+rng.IntN(4))
	}
	nClusters := max(1, o.Packages/4)
	clusters := make([][]regKey, nClusters)
	for c := range clusters {
		for k := range 3 {
			clusters[c] = append(clusters[c], newKey(rng, fmt.Sprintf(`HKLM\Software\Contoso\Common\%s%03d\K%d`, title(word(rng)), c, k), 4+rng.IntN(5)))
		}
	}

	pkgs := make([]*realPackage, o.Packages)
	var microsoft []*realPackage
	for p := range pkgs {
		rp := &realPackage{cluster: p % nClusters}
		switch {
		case p%25 == 0:
			rp.owner, rp.name, rp.vendor = "microsoft", fmt.Sprintf("MS_Pkg%04d", p), `HKLM\Software\Microsoft`
			microsoft = append(microsoft, rp)
		case p%25 == 1:
			rp.owner, rp.name, rp.vendor = "silicon", fmt.Sprintf("SOC_Pkg%04d", p), `HKLM\Drivers\Silicon`
		case p%4 == 3:
			rp.owner, rp.name, rp.vendor = "operator", fmt.Sprintf("OP_Pkg%04d", p), `HKCU\Software\Fabrikam`
		default:
			rp.owner, rp.name, rp.vendor = "oem", fmt.Sprintf("OEM_Pkg%04d", p), `HKLM\Software\Contoso`
		}
		pkgs[p] = rp
	}
	for i := range platform {
		if len(microsoft) > 0 {
			ms := microsoft[i%len(microsoft)]
			ms.platform = append(ms.platform, i)
		}
	}

	weights := []float64{1.0, 0.4, 1.6, 0.7, 1.3}
	weight := func(p int) float64 { return weights[(p/5)%len(weights)] }
	var sum float64
	for p := range o.Packages {
		sum += weight(p)
	}
	scale := float64(o.Packages) / sum // 1 when Packages is a multiple of 25
	// Each file aims at what is left of the bytes planned so far, so the
	// image's total comes within a block of the plan.
	var planned float64
	var written int
	var m strings.Builder
	m.WriteString("# Synthetic image in the realistic shape, written by internal/imagegen for benchmarks.\nimage: bench-realistic\nrelease: 1.0.0\ntarget: wm6\npackages:\n")
	for p, rp := range pkgs {
		pdir := filepath.Join(dir, "provxml", rp.name)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return "", err
		}
		nfiles := max(2, o.Files+p%5-2)
		ncold := max(1, nfiles/2)
		if nfiles >= 3 {
			ncold = max(2, ncold)
		}
		budget := float64(o.Files*(o.Size+tidyOvershoot)) * weight(p) * scale
		shares := make([]float64, nfiles)
		var total float64
		for f := range shares {
			shares[f] = 0.5 + rng.Float64()
			if f < ncold {
				shares[f] *= 1.5
			}
			total += shares[f]
		}
		var cold, update []string
		for f := range nfiles {
			isCold := f < ncold
			var name string
			if isCold {
				name = fmt.Sprintf("cold-%02d.provxml", f)
				cold = append(cold, name)
			} else {
				name = fmt.Sprintf("update-%02d.provxml", f-ncold)
				update = append(update, name)
			}
			planned += budget * shares[f] / total
			doc := realDocument(rng, rp, platform, clusters[rp.cluster], f, isCold, int(planned)-written)
			written += len(doc)
			if err := os.WriteFile(filepath.Join(pdir, name), doc, 0o644); err != nil {
				return "", err
			}
		}

		fmt.Fprintf(&m, "  - name: %s\n    version: 1.%d.0\n    owner: %s\n", rp.name, p%7, rp.owner)
		if p%10 == 5 && len(microsoft) > 0 {
			fmt.Fprintf(&m, "    requires: {%s: \">=1.0.0\"}\n", microsoft[0].name)
		}
		m.WriteString("    cold:\n")
		for _, f := range cold {
			fmt.Fprintf(&m, "      - file: provxml/%s/%s\n", rp.name, f)
		}
		m.WriteString("    update:\n")
		if p%2 == 0 {
			fmt.Fprintf(&m, "      - file: provxml/%s/update-*.provxml\n", rp.name)
		} else {
			for _, f := range update {
				fmt.Fprintf(&m, "      - file: provxml/%s/%s\n", rp.name, f)
			}
		}
		if p%8 == 6 {
			k := clusters[rp.cluster][0]
			v := k.values[0]
			fmt.Fprintf(&m, "      - settings:\n          - csp: Registry\n            characteristic: '%s'\n            parms:\n              - {name: %s, value: '%s', datatype: %s}\n",
				k.path, v.name, strings.ReplaceAll(strings.ReplaceAll(value(rng, v.datatype), "&#xF000;", "\uf000"), "&amp;", "&"), v.datatype)
		}
	}
	path := filepath.Join(dir, "provpack.yaml")
	return path, os.WriteFile(path, []byte(m.String()), 0o644)
}

// realDocument writes file f of package rp, about size bytes.
func realDocument(rng *rand.Rand, rp *realPackage, platform, cluster []regKey, f int, cold bool, size int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
	class := "update"
	if cold {
		class = "cold-boot"
	}
	if rng.IntN(3) == 0 {
		fmt.Fprintf(&b, "<!-- %s: %s settings (%s) -->\n", rp.name, class, word(rng))
	}
	b.WriteString("<wap-provisioningdoc>\n")
	if f == 0 && len(rp.platform) > 0 {
		for _, i := range rp.platform {
			writeKeys(&b, rng, []regKey{platform[i]}, [][]int{all(platform[i])}, 0)
		}
	}
	for b.Len() < size-30 {
		r := rng.IntN(100)
		if r >= 50 && r < 62 && (cold || len(rp.coldKeys) == 0) {
			r = 0 // nothing of the package's own to re-set yet
		}
		if r == 72 && rp.owner == "microsoft" {
			r = 0
		}
		switch {
		case r < 50: // keys of the package's own
			n := 1 + rng.IntN(3)
			keys := make([]regKey, n)
			vals := make([][]int, n)
			for i := range keys {
				keys[i] = newKey(rng, fmt.Sprintf(`%s\%s\%s%d`, rp.vendor, rp.name, title(word(rng)), rp.nextKey), 3+rng.IntN(6))
				rp.nextKey++
				vals[i] = all(keys[i])
				if cold {
					rp.coldKeys = append(rp.coldKeys, keys[i])
				}
			}
			writeKeys(&b, rng, keys, vals, 0)
		case r < 62: // an update file re-sets what a cold file set
			k := rp.coldKeys[rng.IntN(len(rp.coldKeys))]
			writeKeys(&b, rng, []regKey{k}, [][]int{subset(rng, len(k.values), 1+rng.IntN(3))}, 0)
		case r < 72: // keys the package's cluster shares
			k := cluster[rng.IntN(len(cluster))]
			writeKeys(&b, rng, []regKey{k}, [][]int{subset(rng, len(k.values), 2+rng.IntN(4))}, 4)
		case r < 73: // a platform key a Microsoft package sets
			k := platform[rng.IntN(len(platform))]
			writeKeys(&b, rng, []regKey{k}, [][]int{subset(rng, len(k.values), 1+rng.IntN(3))}, 0)
		case r < 88:
			name := fmt.Sprintf("%s %s %d", rp.name, title(word(rng)), rp.nextKey)
			if rp.owner == "operator" && rng.IntN(4) == 0 {
				name = connectionBrands[rng.IntN(len(connectionBrands))] + " " + connectionServices[rng.IntN(len(connectionServices))]
			}
			rp.nextKey++
			fmt.Fprintf(&b, "  <characteristic type=\"CM_GPRSEntries\">\n    <characteristic type=\"%s\">\n      <parm name=\"DestId\" value=\"{436EF144-B4FB-4863-A041-8F905A62C572}\"/>\n      <characteristic type=\"DevSpecificCellular\">\n        <parm name=\"GPRSInfoValid\" value=\"1\"/>\n        <parm name=\"GPRSInfoAccessPointName\" value=\"%s.%s.example\"/>\n      </characteristic>\n    </characteristic>\n  </characteristic>\n",
				name, word(rng), word(rng))
		default:
			fmt.Fprintf(&b, "  <characteristic type=\"BrowserFavorite\">\n    <characteristic type=\"%s %s %d\">\n      <parm name=\"URL\" value=\"http://%s.example/%s?id=%d&amp;f=%d\"/>\n    </characteristic>\n  </characteristic>\n",
				title(word(rng)), rp.name, rp.nextKey, word(rng), word(rng), rng.IntN(100000), f)
			rp.nextKey++
		}
	}
	b.WriteString("</wap-provisioningdoc>\n")
	doc := b.String()
	if rng.IntN(5) == 0 {
		doc = strings.ReplaceAll(doc, "\n", "\r\n")
	}
	return []byte(doc)
}
