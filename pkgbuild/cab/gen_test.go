package cab

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Deterministic test data. Every generator takes its own seeded source so
// that failures reproduce.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)) }

var (
	cspTypes = []string{"Registry", "CM_GPRSEntries", "BrowserFavorite", "FileOperation", "Sync", "EMAIL2", "CertificateStore", "SecurityPolicy", "Clock", "Home"}
	regRoots = []string{`HKLM\Software\Microsoft`, `HKLM\System\CurrentControlSet\Control`, `HKCU\ControlPanel\Sounds`, `HKLM\Comm\Tcpip\Parms`, `HKCU\Software\OEM\Settings`}
	words    = strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu network proxy connection device update package setting value timeout enable disable")
)

// provxmlDoc returns a provisioning-like XML document of about size bytes.
func provxmlDoc(rng *rand.Rand, size int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<wap-provisioningdoc version=\"1.1\">\n")
	for b.Len() < size {
		csp := cspTypes[rng.IntN(len(cspTypes))]
		fmt.Fprintf(&b, "  <characteristic type=%q>\n", csp)
		if csp == "Registry" {
			fmt.Fprintf(&b, "    <characteristic type=\"%s\\%s%d\">\n", regRoots[rng.IntN(len(regRoots))], words[rng.IntN(len(words))], rng.IntN(100))
			for range 1 + rng.IntN(6) {
				switch rng.IntN(3) {
				case 0:
					fmt.Fprintf(&b, "      <parm name=\"%s%d\" value=\"%d\" datatype=\"integer\"/>\n", words[rng.IntN(len(words))], rng.IntN(10), rng.IntN(100000))
				case 1:
					fmt.Fprintf(&b, "      <parm name=\"%s\" value=\"%s %s\" datatype=\"string\"/>\n", words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))])
				default:
					fmt.Fprintf(&b, "      <parm name=\"Guid\" value=\"{%08X-%04X-%04X-%04X-%012X}\" datatype=\"string\"/>\n", rng.Uint32(), rng.IntN(0x10000), rng.IntN(0x10000), rng.IntN(0x10000), rng.Uint64()&0xFFFFFFFFFFFF)
				}
			}
			b.WriteString("    </characteristic>\n")
		} else {
			for range 1 + rng.IntN(5) {
				fmt.Fprintf(&b, "    <parm name=\"%s\" value=\"%s%d\"/>\n", strings.ToUpper(words[rng.IntN(len(words))]), words[rng.IntN(len(words))], rng.IntN(1000))
			}
		}
		b.WriteString("  </characteristic>\n")
	}
	b.WriteString("</wap-provisioningdoc>\n")
	return []byte(b.String())
}

// wordText returns about n bytes of text drawn from a small vocabulary with
// random numbers: compressible, but not periodic.
func wordText(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+32)
	for len(b) < n {
		b = append(b, words[rng.IntN(len(words))]...)
		if rng.IntN(4) == 0 {
			b = fmt.Appendf(b, "%d", rng.IntN(1000))
		}
		if rng.IntN(12) == 0 {
			b = append(b, '\n')
		} else {
			b = append(b, ' ')
		}
	}
	return b[:n]
}

// letterText returns n bytes of random letters, digits and spaces: text
// without repeats, the kind that leaves a deflate block without
// back-references.
func letterText(rng *rand.Rand, n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return b
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// benchCorpus returns about 4 MB of provisioning-like XML in about 1000
// files, the shape of a large build.
func benchCorpus() []File {
	rng := newRand(2024)
	files := make([]File, 0, 1000)
	for i := range 1000 {
		size := 1000 + rng.IntN(7000)
		files = append(files, File{
			Name: fmt.Sprintf("pkg%03d/mxipupdate_pkg%03d_%03d.provxml", i/10, i/10, i%10+1),
			Data: provxmlDoc(rng, size),
		})
	}
	return files
}
