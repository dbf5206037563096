package archive

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/provpack/provpack/internal/quote"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// Inspection is what inspect shows of an archive.
type Inspection struct {
	Archive string          `json:"archive"`
	Format  manifest.Format `json:"format"`
	Size    int64           `json:"size"`
	SHA256  string          `json:"sha256"`
	Package *PackageInfo    `json:"package"`
	Members []MemberInfo    `json:"members"`
	// Signature is the archive's Authenticode signature; absent when the
	// archive is not signed.
	Signature *Signature `json:"signature,omitempty"`
	// CatalogSignature is the signature of a w10m package's content
	// catalog (content.cat); absent when there is none or it is unsigned.
	CatalogSignature *Signature `json:"catalogSignature,omitempty"`
}

// MemberInfo is one member of an archive.
type MemberInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Inspect reads an archive and describes it: its identity and its
// members. When each is not nil, it is called with every provisioning
// file (a ROM provisioning file name, see ParseFileName, of at most
// provxml.DefaultMaxSize bytes) as it is read, with data valid only
// during the call. Members stream through their hashes: memory follows
// the largest provisioning file, not the archive.
func Inspect(path string, each func(name string, data []byte)) (*Inspection, error) {
	return defaults.inspect(path, each)
}

func (c config) inspect(path string, each func(name string, data []byte)) (*Inspection, error) {
	in := &Inspection{Archive: path}
	var perr error
	var sig sigState
	var catalogData []byte
	format, members, err := c.scan(path, func(name string, size int64) bool {
		if IsManifest(name) || name == CatalogW10M {
			return size <= maxManifestSize
		}
		_, _, _, rom := ParseFileName(name)
		return each != nil && rom && size <= provxml.DefaultMaxSize
	}, func(name string, data []byte) error {
		if name == CatalogW10M {
			if catalogData == nil {
				catalogData = bytes.Clone(data)
			}
			return nil
		}
		if !IsManifest(name) {
			each(name, data)
			return nil
		}
		if in.Package, perr = ParseManifest(name, data); perr != nil {
			return perr
		}
		return nil
	}, &sig, nil)
	switch {
	case perr != nil:
		return nil, fmt.Errorf("%s: %w", path, perr)
	case err != nil:
		return nil, err
	}
	for _, m := range members {
		if IsManifest(m.Name) && m.Size > maxManifestSize {
			return nil, fmt.Errorf("%s: %s is %d bytes, larger than a package manifest may be (%d)", path, m.Name, m.Size, maxManifestSize)
		}
	}
	in.Format, in.Members, in.Signature = format, members, sig.info()
	if in.Package != nil && in.Package.Target == string(manifest.TargetW10M) && catalogData != nil {
		in.CatalogSignature = catalogSignature(catalogData)
	}
	if in.Members == nil {
		in.Members = []MemberInfo{}
	}
	if in.Size, in.SHA256, err = outdir.FileSHA256(path); err != nil {
		return nil, err
	}
	return in, nil
}

// Problem is one thing verify found wrong.
type Problem struct {
	File string `json:"file"`
	Msg  string `json:"message"`
	// Kind names a signature problem (KindUnsigned, KindBadSignature,
	// KindUntrusted, KindSignerMismatch); "" for every other problem.
	Kind string `json:"kind,omitempty"`
}

// String is the problem as verify prints it: the file quoted when it has
// a character that is not printable (see quote.Name), and the kind of a
// signature problem last, in brackets, as --output json names it.
func (p Problem) String() string {
	if p.Kind != "" {
		return quote.Name(p.File) + ": " + p.Msg + " [" + p.Kind + "]"
	}
	return quote.Name(p.File) + ": " + p.Msg
}

// Expect is what a build report says of an archive that Verify compares
// with its package manifest.
type Expect struct {
	Name, Version, GUID string
	// Owner, Image and Target, when set, must be what the package
	// manifest says.
	Owner         manifest.Owner
	Image, Target string
	// Files, when not nil, are the provisioning files the report lists:
	// the package manifest must list the same, with the same class,
	// ordinal, size and SHA-256.
	Files []FileInfo
	// Signer, when not nil, is who the report says signed the archive:
	// a good signature must be by a certificate of this subject, issuer
	// and serial number (KindSignerMismatch when it is not). That the
	// archive is signed at all is VerifyOptions.RequireSigned.
	Signer *SignerID
	// Member, when not nil, is called with the bytes of every
	// provisioning file the package manifest lists, and the document
	// the lint parsed from them (nil when they do not parse), and returns
	// what the report says otherwise of it (its settings, say).
	Member func(name string, data []byte, doc *provxml.Document) []string
}

// Verify checks the archive at path: its structure and checksums, its
// member names, each member against the package manifest (listed once,
// present, size, SHA-256, file name against class, ordinal and package),
// and every provisioning file it lists re-linted, once however often it
// is listed. When want is not nil, the package manifest must also name
// the package want names. It returns every problem found, each naming
// path. A signed cabinet's signature is checked against its bytes; opt
// asks for more (a signature at all, a trusted signer).
//
// Members stream through their hashes. The package manifest and, within
// a budget, the small members are kept from that pass to be linted; a
// provisioning file beyond the budget is read again on its own, so
// memory follows the largest provisioning file.
func Verify(path string, want *Expect, opt VerifyOptions) []Problem {
	return defaults.verify(path, want, opt)
}

func (c config) verify(path string, want *Expect, opt VerifyOptions) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{File: path, Msg: fmt.Sprintf(format, args...)})
	}
	var info *PackageInfo
	var catalogData []byte
	manifests := 0
	kept := map[string][]byte{}
	keptBytes := int64(0)
	var sig sigState
	alt := map[string][][]byte{}
	format, members, err := c.scan(path, func(name string, size int64) bool {
		if IsManifest(name) || name == CatalogW10M {
			return size <= maxManifestSize
		}
		return size <= provxml.DefaultMaxSize && keptBytes+size <= keepBudget
	}, func(name string, data []byte) error {
		if name == CatalogW10M && catalogData == nil {
			catalogData = bytes.Clone(data)
			return nil
		}
		if IsManifest(name) {
			if manifests++; manifests > 1 {
				add("more than one package manifest")
			}
			var perr error
			if info, perr = ParseManifest(name, data); perr != nil {
				add("%v", perr)
			}
			return nil
		}
		if _, dup := kept[name]; !dup {
			kept[name] = bytes.Clone(data)
			keptBytes += int64(len(data))
		}
		return nil
	}, &sig, alt)
	if err != nil {
		add("%v", strings.TrimPrefix(err.Error(), path+": "))
		return ps
	}
	for _, p := range signatureProblems(format, &sig, opt) {
		p.File = path
		ps = append(ps, p)
	}
	if want != nil {
		for _, p := range signerProblems(&sig, want.Signer) {
			p.File = path
			ps = append(ps, p)
		}
	}
	for _, msg := range nameProblems(namesOnly(members)) {
		add("%s", msg)
	}
	byName := map[string]MemberInfo{}
	for _, m := range members {
		if _, dup := byName[m.Name]; !dup {
			byName[m.Name] = m
		}
		if IsManifest(m.Name) && m.Size > maxManifestSize {
			add("%s is %d bytes, larger than a package manifest may be (%d)", m.Name, m.Size, maxManifestSize)
			manifests++
		}
	}
	if info == nil {
		if manifests == 0 {
			add("no package manifest (%s or %s)", ManifestWM6, ManifestW10M)
		}
		return ps
	}
	if want != nil && (want.Name != info.Name || want.Version != info.Version || want.GUID != info.GUID) {
		add("package manifest says %s %s (%s), the report %s %s (%s)", quote.Name(info.Name), quote.Name(info.Version), quote.Name(info.GUID), quote.Name(want.Name), quote.Name(want.Version), quote.Name(want.GUID))
	}
	if want != nil {
		for _, f := range []struct{ what, report, archive string }{
			{"owner", string(want.Owner), string(info.Owner)}, {"image", want.Image, info.Image}, {"target", want.Target, info.Target}} {
			if f.report != "" && f.report != f.archive {
				add("package manifest says %s %s, the report %s", f.what, quote.Name(f.archive), quote.Name(f.report))
			}
		}
	}
	if want != nil && want.Files != nil {
		for _, msg := range compareFiles(want.Files, info.Files) {
			add("%s", msg)
		}
	}
	// Each listed file is checked once: a manifest that lists a file
	// a thousand times must not cost a thousand lints.
	times := map[string]int{}
	var files []FileInfo
	for _, f := range info.Files {
		if times[f.Name]++; times[f.Name] == 1 {
			files = append(files, f)
		}
	}
	lint := map[string]bool{} // listed members to lint, by name
	// Problems of each file, then its lint findings, in manifest order.
	msgs := map[string][]string{}
	note := func(name, format string, args ...any) {
		msgs[name] = append(msgs[name], fmt.Sprintf(format, args...))
	}
	for _, f := range files {
		name := quote.Name(f.Name)
		if n := times[f.Name]; n > 1 {
			note(f.Name, "%s is listed %d times in the package manifest", name, n)
		}
		m, ok := byName[f.Name]
		if !ok {
			note(f.Name, "%s is listed in the package manifest but missing from the archive", name)
			continue
		}
		if m.Size != f.Size {
			note(f.Name, "%s: size %d, the package manifest says %d", name, m.Size, f.Size)
		}
		if f.SHA256 != "" && m.SHA256 != f.SHA256 {
			note(f.Name, "%s: SHA-256 %s, the package manifest says %s", name, m.SHA256, quote.Name(f.SHA256))
		}
		class, pkg, ord, ok := ParseFileName(f.Name)
		switch {
		case !ok:
			note(f.Name, "%s is not a ROM provisioning file name (mxipcold_/mxipupdate_<pkg>_<NNN>.provxml)", name)
		case pkg != info.Name:
			note(f.Name, "%s names package %s, but the archive holds package %s", name, quote.Name(pkg), quote.Name(info.Name))
		case class != f.Class || ord != f.Ordinal:
			note(f.Name, "%s: the package manifest says class %s ordinal %d", name, quote.Name(string(f.Class)), f.Ordinal)
		}
		if m.Size > provxml.DefaultMaxSize {
			note(f.Name, "%s: %d bytes, larger than a provisioning file may be (%d)", name, m.Size, provxml.DefaultMaxSize)
			continue
		}
		lint[f.Name] = true
	}
	// Lint what the first pass kept; read the rest again, one at a time.
	findings := map[string][]string{}
	lintOne := func(name string, data []byte) {
		// Findings start with the file's name: quoted when not printable.
		doc, fs := provxml.Lint(quote.Name(name), data, provxml.ParseOptions{}, provxml.Options{Target: info.Target})
		for _, x := range fs {
			if x.Rule.Severity == provxml.Error {
				findings[name] = append(findings[name], x.String())
			}
		}
		if want != nil && want.Member != nil {
			findings[name] = append(findings[name], want.Member(name, data, doc)...)
		}
	}
	var again bool
	for name := range lint {
		if data, ok := kept[name]; ok {
			lintOne(name, data)
			delete(lint, name)
		} else {
			again = true
		}
	}
	if again {
		_, _, err := c.scan(path, func(name string, size int64) bool {
			return lint[name] && size <= provxml.DefaultMaxSize
		}, func(name string, data []byte) error {
			if lint[name] {
				lintOne(name, data)
				lint[name] = false // a duplicate member was named already
			}
			return nil
		}, nil, nil)
		if err != nil {
			add("reading again: %v", strings.TrimPrefix(err.Error(), path+": "))
		}
	}
	for _, f := range files {
		for _, msg := range append(msgs[f.Name], findings[f.Name]...) {
			add("%s", msg)
		}
	}
	listed := times
	if info.Target == string(manifest.TargetW10M) {
		msgs, cat := verifyW10M(info, members, alt, catalogData)
		for _, msg := range msgs {
			add("%s", msg)
		}
		for _, p := range catalogSignatureProblems(cat, sig.signed, opt) {
			p.File = path
			ps = append(ps, p)
		}
		for _, e := range info.Entries {
			listed[e.CabPath]++
		}
	}
	for _, m := range members {
		if listed[m.Name] == 0 && !IsManifest(m.Name) {
			add("%s is in the archive but not in the package manifest", quote.Name(m.Name))
		}
	}
	return ps
}

// namesOnly turns what a scan found into members without data, for the
// name rules.
func namesOnly(infos []MemberInfo) []Member {
	ms := make([]Member, len(infos))
	for i, m := range infos {
		ms[i].Name = m.Name
	}
	return ms
}

// compareFiles lists where the provisioning files a report names differ
// from those the package manifest lists.
func compareFiles(report, listed []FileInfo) []string {
	var msgs []string
	inManifest := map[string]FileInfo{}
	for _, f := range listed {
		inManifest[f.Name] = f
	}
	inReport := map[string]bool{}
	for _, r := range report {
		inReport[r.Name] = true
		m, ok := inManifest[r.Name]
		switch {
		case !ok:
			msgs = append(msgs, fmt.Sprintf("the report lists %s, the package manifest does not", quote.Name(r.Name)))
		case m.Class != r.Class || m.Ordinal != r.Ordinal || m.Size != r.Size || m.SHA256 != r.SHA256:
			msgs = append(msgs, fmt.Sprintf("%s: the report says class %s, ordinal %d, %d bytes, SHA-256 %s; the package manifest says %s, %d, %d bytes, %s",
				quote.Name(r.Name), quote.Name(string(r.Class)), r.Ordinal, r.Size, quote.Name(r.SHA256), quote.Name(string(m.Class)), m.Ordinal, m.Size, quote.Name(m.SHA256)))
		}
	}
	for _, f := range listed {
		if !inReport[f.Name] {
			msgs = append(msgs, fmt.Sprintf("the package manifest lists %s, the report does not", quote.Name(f.Name)))
		}
	}
	return msgs
}
