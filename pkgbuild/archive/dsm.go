package archive

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/provpack/provpack/internal/quote"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/cab"
	"github.com/provpack/provpack/pkgbuild/catalog"
)

// The w10m package: the device-side manifest man.dsm.xml as Microsoft's
// package generator writes it, and the content catalog content.cat.
// docs/package-manifest.md gives every element and value with its source.

// CatalogW10M is the member name of a w10m package's content catalog.
const CatalogW10M = "content.cat"

// The kinds of w10m file entries (FileType).
const (
	FileTypeManifest = "Manifest"
	FileTypeCatalog  = "Catalog"
	FileTypeRegular  = "Regular"
)

// Device paths. The provisioning-file directories are the expansions of
// the package generator's macros in the Windows 10 kit's pkggen.cfg.xml
// ($(runtime.windows) is "\windows", $(runtime.apps) "\Programs"), so a
// package built here installs its files where one built by PkgGen from
// the project --pkggen writes would.
const (
	dsmFilesDir  = `\Windows\Packages\DsmFiles`
	catrootDir   = `\Windows\System32\catroot\{F750E6C3-38EE-11D1-85E5-00C04FC295EE}`
	updateDirOEM = `\windows\Migrators\DuMigrationProvisionerOEM\provxml`       // $(runtime.updateProvxmlOEM)
	updateDirMS  = `\windows\Migrators\DuMigrationProvisionerMicrosoft\provxml` // $(runtime.updateProvxmlMS)
	coldDirOEM   = `\Programs\PhoneProvisioner_OEM\OEM`                         // $(runtime.coldBootProvxmlOEM)
	coldDirMS    = `\Programs\PhoneProvisioner\Microsoft`                       // $(runtime.coldBootProvxmlMS)
)

// ProvxmlMacro returns the package generator macro of the directory a
// provisioning file of class goes to, for a package of owner: the
// Microsoft directories for Microsoft's packages, the OEM ones for every
// other owner (the platform has no others).
func ProvxmlMacro(owner manifest.Owner, class manifest.Class) string {
	ms := owner == manifest.OwnerMicrosoft
	switch {
	case class == manifest.ClassCold && ms:
		return "$(runtime.coldBootProvxmlMS)"
	case class == manifest.ClassCold:
		return "$(runtime.coldBootProvxmlOEM)"
	case ms:
		return "$(runtime.updateProvxmlMS)"
	}
	return "$(runtime.updateProvxmlOEM)"
}

// ProvxmlDir returns the device directory ProvxmlMacro names.
func ProvxmlDir(owner manifest.Owner, class manifest.Class) string {
	return map[string]string{
		"$(runtime.coldBootProvxmlMS)":  coldDirMS,
		"$(runtime.coldBootProvxmlOEM)": coldDirOEM,
		"$(runtime.updateProvxmlMS)":    updateDirMS,
		"$(runtime.updateProvxmlOEM)":   updateDirOEM,
	}[ProvxmlMacro(owner, class)]
}

// DSMEntry is one Files/FileEntry of a w10m manifest.
type DSMEntry struct {
	FileType           string `json:"fileType"`
	DevicePath         string `json:"devicePath"`
	CabPath            string `json:"cabPath"`
	Attributes         string `json:"attributes"`
	FileSize           int64  `json:"fileSize"`
	CompressedFileSize int64  `json:"compressedFileSize"`
	StagedFileSize     int64  `json:"stagedFileSize"`
}

// PackageBaseName returns <Owner>.<Component>[.<SubComponent>], the name
// of a w10m package's archive, manifest and catalog on the device.
func PackageBaseName(info *PackageInfo) string {
	n := info.Company + "." + info.Name
	if info.SubComponent != "" {
		n += "." + info.SubComponent
	}
	return n
}

// The manifest's values for provpack's words.
var (
	ownerTypes = map[manifest.Owner]string{
		manifest.OwnerMicrosoft: "Microsoft", manifest.OwnerSilicon: "SiliconVendor",
		manifest.OwnerOEM: "OEM", manifest.OwnerOperator: "MobileOperator",
	}
	cpuTypes     = map[string]string{"arm": "ARM", "x86": "X86", "arm64": "ARM64"}
	releaseTypes = map[string]string{"production": "Production", "test": "Test"}
)

// marshalDSM writes the device-side manifest of info as the package
// generator lays it out: UTF-8 with an XML declaration, CRLF line ends,
// two-space indentation, the Version element self-closed. provpack's own
// data (the GUID, the version as written, the image; each provisioning
// file's class, ordinal and SHA-256) are attributes in the namespace
// urn:provpack:package:1, bound to the one prefix pp.
func marshalDSM(info *PackageInfo) ([]byte, error) {
	ver, err := manifest.ParseVersion(info.Version)
	if err != nil {
		return nil, err
	}
	if err := ver.CheckW10M(); err != nil {
		return nil, err
	}
	ownerType, ok := ownerTypes[info.Owner]
	if !ok {
		return nil, fmt.Errorf("package %s: unknown owner %q", info.Name, info.Owner)
	}
	cpu, rel := cpuTypes[or(info.CPU, "arm")], releaseTypes[or(info.ReleaseType, "production")]
	if cpu == "" || rel == "" {
		return nil, fmt.Errorf("package %s: unknown cpu %q or release type %q", info.Name, info.CPU, info.ReleaseType)
	}
	if info.Company == "" {
		return nil, fmt.Errorf("package %s: a w10m package needs its company (Identity/Owner)", info.Name)
	}
	var b bytes.Buffer
	line := func(indent int, s string) {
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteString(s)
		b.WriteString("\r\n")
	}
	elem := func(indent int, name, value string) {
		line(indent, "<"+name+">"+esc(value)+"</"+name+">")
	}
	line(0, `<?xml version="1.0" encoding="UTF-8"?>`)
	line(0, fmt.Sprintf(`<Package xmlns="%s" xmlns:pp="%s" pp:guid="%s" pp:version="%s" pp:image="%s">`,
		dsmNamespace, pkgNamespace, esc(info.GUID), esc(info.Version), esc(info.Image)))
	line(1, "<Identity>")
	elem(2, "Owner", info.Company)
	elem(2, "Component", info.Name)
	if info.SubComponent != "" {
		elem(2, "SubComponent", info.SubComponent)
	}
	p := ver.Parts()
	line(2, fmt.Sprintf(`<Version Major="%d" Minor="%d" QFE="%d" Build="%d" />`, p[0], p[1], p[2], p[3]))
	line(1, "</Identity>")
	elem(1, "ReleaseType", rel)
	elem(1, "OwnerType", ownerType)
	elem(1, "BuildType", "Retail")
	elem(1, "CpuType", cpu)
	if info.Owner != manifest.OwnerMicrosoft {
		elem(1, "Platform", "Generic")
	}
	elem(1, "Partition", "MainOS")
	elem(1, "IsRemoval", "false")
	line(1, "<Files>")
	files := map[string]FileInfo{}
	for _, f := range info.Files {
		files[f.Name] = f
	}
	for _, e := range info.Entries {
		if f, ok := files[e.CabPath]; ok && e.FileType == FileTypeRegular {
			line(2, fmt.Sprintf(`<FileEntry pp:class="%s" pp:ordinal="%d" pp:sha256="%s">`, esc(string(f.Class)), f.Ordinal, esc(f.SHA256)))
		} else {
			line(2, "<FileEntry>")
		}
		elem(3, "FileType", e.FileType)
		elem(3, "DevicePath", e.DevicePath)
		elem(3, "CabPath", e.CabPath)
		elem(3, "Attributes", e.Attributes)
		elem(3, "FileSize", strconv.FormatInt(e.FileSize, 10))
		elem(3, "CompressedFileSize", strconv.FormatInt(e.CompressedFileSize, 10))
		elem(3, "StagedFileSize", strconv.FormatInt(e.StagedFileSize, 10))
		line(2, "</FileEntry>")
	}
	line(1, "</Files>")
	b.WriteString("</Package>")
	return b.Bytes(), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// BuildOptions are what BuildMembers needs besides the package.
type BuildOptions struct {
	// Epoch dates the catalog (SOURCE_DATE_EPOCH).
	Epoch time.Time
}

// BuildMembers returns the members of a package's archive, sorted by
// name: files (the provisioning files info.Files lists), the package
// manifest, and for w10m the content catalog, with info.Entries filled.
//
// The w10m sizes are computed as the package generator computes them,
// as far as real packages show it: every entry has FileSize, and
// CompressedFileSize and StagedFileSize, which are the member's MSZIP
// bytes on its own (cab.CompressedSize). The manifest cannot hold its own
// final size, so, as in real packages, its entry records the manifest as
// it was with the six size values of the Manifest and Catalog entries
// still 0, and the Catalog entry records the catalog before signing
// (built over that first manifest: a catalog's size does not depend on
// what its hashes are). The catalog then lists the final manifest and
// every provisioning file. The catalog is returned unsigned: WriteSigned
// signs it with the cabinet's signer before it writes the cabinet.
func BuildMembers(ctx context.Context, info *PackageInfo, files []Member, opt BuildOptions) ([]Member, error) {
	if info.Target != string(manifest.TargetW10M) {
		name, data, err := MarshalManifest(info)
		if err != nil {
			return nil, err
		}
		return sortedMembers(append(slices.Clone(files), Member{Name: name, Data: data})), nil
	}
	data := map[string][]byte{}
	for _, m := range files {
		data[m.Name] = m.Data
	}
	base := PackageBaseName(info)
	info.Entries = []DSMEntry{
		{FileType: FileTypeManifest, DevicePath: dsmFilesDir + `\` + base + ".dsm.xml", CabPath: ManifestW10M, Attributes: "Archive"},
		{FileType: FileTypeCatalog, DevicePath: catrootDir + `\` + base + ".cat", CabPath: CatalogW10M, Attributes: "Archive Compressed"},
	}
	for _, f := range info.Files {
		d, ok := data[f.Name]
		if !ok {
			return nil, fmt.Errorf("package %s: %s is listed but not given", info.Name, f.Name)
		}
		comp, err := cab.CompressedSize(d, 0)
		if err != nil {
			return nil, err
		}
		info.Entries = append(info.Entries, DSMEntry{FileType: FileTypeRegular, DevicePath: ProvxmlDir(info.Owner, f.Class) + `\` + f.Name,
			CabPath: f.Name, Attributes: "Archive Compressed", FileSize: int64(len(d)), CompressedFileSize: comp, StagedFileSize: comp})
	}
	slices.SortFunc(info.Entries[2:], func(a, b DSMEntry) int { return strings.Compare(a.CabPath, b.CabPath) })
	first, err := marshalDSM(info)
	if err != nil {
		return nil, err
	}
	if err := setSizes(&info.Entries[0], first); err != nil {
		return nil, err
	}
	copt := catalog.Options{Time: opt.Epoch}
	unsigned, err := catalog.Write(catalogMembers(files, first), copt)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", info.Name, err)
	}
	if err := setSizes(&info.Entries[1], unsigned); err != nil {
		return nil, err
	}
	final, err := marshalDSM(info)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Write(catalogMembers(files, final), copt)
	if err != nil {
		return nil, fmt.Errorf("package %s: writing its catalog: %w", info.Name, err)
	}
	out := append(slices.Clone(files), Member{Name: ManifestW10M, Data: final}, Member{Name: CatalogW10M, Data: cat})
	return sortedMembers(out), nil
}

func setSizes(e *DSMEntry, data []byte) error {
	comp, err := cab.CompressedSize(data, 0)
	if err != nil {
		return err
	}
	e.FileSize, e.CompressedFileSize, e.StagedFileSize = int64(len(data)), comp, comp
	return nil
}

func catalogMembers(files []Member, dsm []byte) []catalog.Member {
	out := []catalog.Member{{Name: ManifestW10M, Data: dsm}}
	for _, m := range files {
		out = append(out, catalog.Member{Name: m.Name, Data: m.Data})
	}
	return out
}

// hexTag is the member tag catalogs made by makecat use as the subject
// identifier: the digest in upper-case hex, UTF-16LE. (The package
// generator's catalogs use the digest bytes themselves.)
func hexTag(d []byte) []byte {
	h := strings.ToUpper(hex.EncodeToString(d))
	out := make([]byte, 0, 2*len(h))
	for i := 0; i < len(h); i++ {
		out = append(out, h[i], 0)
	}
	return out
}

// manifestSelfSize returns the size a w10m manifest of n bytes records
// for itself when written as the package generator writes it: its size
// with the FileSize, CompressedFileSize and StagedFileSize of its
// Manifest and Catalog entries still 0 (each number's digits but one
// fewer). Real packages hold to it (1470 bytes recording 1453, 3112
// recording 3094).
func manifestSelfSize(n int64, entries []DSMEntry) int64 {
	for _, e := range entries {
		if e.FileType == FileTypeManifest || e.FileType == FileTypeCatalog {
			for _, v := range []int64{e.FileSize, e.CompressedFileSize, e.StagedFileSize} {
				n -= int64(len(strconv.FormatInt(v, 10)) - 1)
			}
		}
	}
	return n
}

// ProvisioningEntry is a provisioning file of a w10m package made by
// another tool, found by where it goes on the device.
type ProvisioningEntry struct {
	// Member is the cabinet member (CabPath), DeviceName the file name
	// it is installed under (the last part of DevicePath).
	Member, DeviceName string
	// Class is the class its directory or name gives; Ordinal its
	// ordinal when DeviceName is a ROM provisioning file name, else 0.
	Class   manifest.Class
	Ordinal int
	// Package is the package its ROM name names ("" when it has none).
	Package string
}

// provisioningDirs are the device directories whose files the platform
// processes as provisioning files, by the end of the path (case does
// not matter on the device): the update directories are under
// \Windows\Migrators or \Windows\System32\Migrators, depending on the
// release.
var provisioningDirs = []struct {
	suffix string
	class  manifest.Class
}{
	{`\migrators\dumigrationprovisioneroem\provxml`, manifest.ClassUpdate},
	{`\migrators\dumigrationprovisionermicrosoft\provxml`, manifest.ClassUpdate},
	{`\phoneprovisioner_oem\oem`, manifest.ClassCold},
	{`\phoneprovisioner\microsoft`, manifest.ClassCold},
}

// ProvisioningEntries returns the entries of a w10m manifest that are
// provisioning files: those whose DevicePath is in a provisioning
// directory, or whose device name is a ROM provisioning file name or
// ends in .provxml. The class comes from the ROM name when there is one,
// else from the directory; a .provxml elsewhere with no ROM name is an
// update file.
func ProvisioningEntries(info *PackageInfo) []ProvisioningEntry {
	var out []ProvisioningEntry
	for _, e := range info.Entries {
		if e.FileType == FileTypeManifest || e.FileType == FileTypeCatalog {
			continue
		}
		i := strings.LastIndexByte(e.DevicePath, '\\')
		dir, base := strings.ToLower(e.DevicePath[:max(i, 0)]), e.DevicePath[i+1:]
		p := ProvisioningEntry{Member: e.CabPath, DeviceName: base}
		found := false
		for _, d := range provisioningDirs {
			if strings.HasSuffix(dir, d.suffix) {
				p.Class, found = d.class, true
			}
		}
		if c, pkg, ord, ok := ParseFileName(base); ok {
			p.Class, p.Ordinal, p.Package, found = c, ord, pkg, true
		} else if _, ok := cutSuffixFold(base, ".provxml"); ok && !found {
			p.Class, found = manifest.ClassUpdate, true
		}
		if found && base != "" {
			out = append(out, p)
		}
	}
	return out
}

// ProvisioningEntryProblems reports the provisioning entries of a w10m
// manifest made by another tool whose device names cannot safely become
// a file name of their own: a name with a '/' (the device's separator is
// '\', so a '/' is part of the name only on the device, and a path on the
// host), "." or "..", a control character or a character Windows file
// names cannot hold, a trailing dot or space (Windows drops them), and
// two entries whose names differ only in case (one file on the device's
// case-insensitive file system, and on the hosts of most users). Each
// problem names the DSM entry by its DevicePath.
func ProvisioningEntryProblems(info *PackageInfo) []string {
	var out []string
	paths := map[string]string{}
	for _, e := range info.Entries {
		paths[e.CabPath] = e.DevicePath
	}
	seen := map[string]ProvisioningEntry{}
	for _, p := range ProvisioningEntries(info) {
		entry := fmt.Sprintf("%s entry %s (CabPath %s)", ManifestW10M, quote.Name(paths[p.Member]), quote.Name(p.Member))
		if why := unsafeDeviceName(p.DeviceName); why != "" {
			out = append(out, fmt.Sprintf("%s: device name %s %s; a provisioning file is a plain file name in its directory", entry, quote.Name(p.DeviceName), why))
			continue
		}
		key := strings.ToLower(p.DeviceName)
		if first, dup := seen[key]; dup {
			out = append(out, fmt.Sprintf("%s: device name %s is also the name of entry %s (case does not matter on the device): the two are one file; remove one of them", entry, quote.Name(p.DeviceName), quote.Name(paths[first.Member])))
			continue
		}
		seen[key] = p
	}
	return out
}

// unsafeDeviceName says why name cannot be a file name of its own, or
// "" when it can.
func unsafeDeviceName(name string) string {
	switch {
	case name == "." || name == "..":
		return "is a directory reference"
	case strings.Contains(name, ".."):
		return "holds \"..\""
	case strings.ContainsRune(name, '/'):
		return "holds a '/'"
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "holds a control character"
	case strings.ContainsAny(name, `<>:"|?*`):
		return `holds one of <>:"|?*, which Windows file names cannot`
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return "ends in a dot or a space, which Windows drops"
	}
	return ""
}

// dsmIdentityName returns the name the platform gives a package read
// from its manifest: the file name of its Manifest entry's DevicePath
// less ".dsm.xml" (the platform installs the manifest under
// \Windows\Packages\DsmFiles by that name, and the catalog beside it),
// else PackageBaseName with the culture and resolution suffixes
// (_Lang_<culture>, _RES_<resolution>) real packages carry.
func dsmIdentityName(info *PackageInfo) string {
	for _, e := range info.Entries {
		if e.FileType != FileTypeManifest {
			continue
		}
		base := e.DevicePath[strings.LastIndexByte(e.DevicePath, '\\')+1:]
		if n, ok := cutSuffixFold(base, ".dsm.xml"); ok && n != "" {
			return n
		}
	}
	n := PackageBaseName(info)
	if info.Culture != "" {
		n += "_Lang_" + info.Culture
	}
	if info.Resolution != "" {
		n += "_RES_" + info.Resolution
	}
	return n
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

// The DSM as read.
type dsmPackage struct {
	XMLName     xml.Name     `xml:"http://schemas.microsoft.com/embedded/2004/10/ImageUpdate Package"`
	GUID        string       `xml:"urn:provpack:package:1 guid,attr"`
	Version     string       `xml:"urn:provpack:package:1 version,attr"`
	Image       string       `xml:"urn:provpack:package:1 image,attr"`
	Identity    dsmIdentity  `xml:"Identity"`
	ReleaseType string       `xml:"ReleaseType"`
	OwnerType   string       `xml:"OwnerType"`
	CpuType     string       `xml:"CpuType"`
	BuildType   string       `xml:"BuildType"`
	Culture     string       `xml:"Culture"`
	Resolution  string       `xml:"Resolution"`
	Partition   string       `xml:"Partition"`
	Files       []dsmFileRef `xml:"Files>FileEntry"`
}

type dsmIdentity struct {
	Owner        string `xml:"Owner"`
	Component    string `xml:"Component"`
	SubComponent string `xml:"SubComponent"`
	Version      struct {
		Major string `xml:"Major,attr"`
		Minor string `xml:"Minor,attr"`
		QFE   string `xml:"QFE,attr"`
		Build string `xml:"Build,attr"`
	} `xml:"Version"`
}

type dsmFileRef struct {
	FileType           string `xml:"FileType"`
	DevicePath         string `xml:"DevicePath"`
	CabPath            string `xml:"CabPath"`
	Attributes         string `xml:"Attributes"`
	FileSize           int64  `xml:"FileSize"`
	CompressedFileSize int64  `xml:"CompressedFileSize"`
	StagedFileSize     int64  `xml:"StagedFileSize"`
	Class              string `xml:"urn:provpack:package:1 class,attr"`
	Ordinal            int    `xml:"urn:provpack:package:1 ordinal,attr"`
	SHA256             string `xml:"urn:provpack:package:1 sha256,attr"`
}

// parseDSM reads a w10m manifest, provpack's or the platform's. A
// manifest without provpack's attributes has no GUID, and its version is
// the four-part Major.Minor.QFE.Build; its provisioning files are the
// Regular entries named as ROM provisioning files.
func parseDSM(data []byte) (*PackageInfo, error) {
	var d dsmPackage
	if err := xml.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	info := &PackageInfo{Name: d.Identity.Component, GUID: d.GUID, Version: d.Version, Target: string(manifest.TargetW10M), Image: d.Image,
		Company: d.Identity.Owner, SubComponent: d.Identity.SubComponent,
		Culture: strings.TrimSpace(d.Culture), Resolution: strings.TrimSpace(d.Resolution), Partition: strings.TrimSpace(d.Partition),
		Files: []FileInfo{}}
	for o, t := range ownerTypes {
		if t == d.OwnerType {
			info.Owner = o
		}
	}
	for k, v := range cpuTypes {
		if strings.EqualFold(v, d.CpuType) {
			info.CPU = k
		}
	}
	for k, v := range releaseTypes {
		if v == d.ReleaseType {
			info.ReleaseType = k
		}
	}
	if info.Version == "" {
		v := d.Identity.Version
		info.Version = strings.Join([]string{v.Major, v.Minor, v.QFE, v.Build}, ".")
	}
	for _, f := range d.Files {
		info.Entries = append(info.Entries, DSMEntry{f.FileType, f.DevicePath, f.CabPath, f.Attributes, f.FileSize, f.CompressedFileSize, f.StagedFileSize})
		if f.FileType != FileTypeRegular || d.GUID == "" {
			// Another tool's manifest: it does not name the package in
			// provpack's words, and its members' names (the package
			// generator shortens them) need not be ROM names; its
			// provisioning files are found by ProvisioningEntries.
			continue
		}
		class, ordinal := manifest.Class(f.Class), f.Ordinal
		if c, _, o, ok := ParseFileName(f.CabPath); ok && class == "" {
			class, ordinal = c, o
		}
		if class == "" {
			continue // not a provisioning file
		}
		info.Files = append(info.Files, FileInfo{Name: f.CabPath, Class: class, Ordinal: ordinal, Size: f.FileSize, SHA256: f.SHA256})
	}
	info.buildType = d.BuildType
	info.Identity = dsmIdentityName(info)
	elems, err := topElements(data)
	if err != nil {
		return nil, err
	}
	info.Elements = elems
	return info, nil
}

// topElements lists the local names of the root's child elements, in
// order.
func topElements(data []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				out = append(out, t.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// The values the platform accepts (docs/package-manifest.md).
var (
	buildTypes    = []string{"Retail", "Checked", "Debug"}
	requiredElems = []string{"Identity", "ReleaseType", "OwnerType", "BuildType", "CpuType", "Partition", "IsRemoval", "Files"}
)

// verifyW10M checks a w10m package's manifest against its members, member
// kind by member kind: the manifest's elements and values, the Manifest
// entry (this member, with the size the package generator records for
// it), the Catalog entry and the catalog (every other member's SHA-256
// listed), and every Regular entry's size. Provisioning files are checked
// by the caller, as for wm6.
//
// alt holds, by member name, the digests besides the SHA-256 a catalog
// may list a member by (its SHA-1; a PE's image hashes): real catalogs
// list executables by their Authenticode image hash, and older ones
// use SHA-1.
//
// It returns the catalog it parsed as well, nil when there is none or it
// cannot be read (a problem it reports), for the caller to check its
// signature without parsing it again.
func verifyW10M(info *PackageInfo, members []MemberInfo, alt map[string][][]byte, catalogData []byte) ([]string, *catalog.Catalog) {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, want := range requiredElems {
		if !slices.Contains(info.Elements, want) {
			add("%s has no %s element", ManifestW10M, want)
		}
	}
	if info.buildType != "" && !slices.Contains(buildTypes, info.buildType) {
		add("%s: BuildType %s is not one the platform accepts (Retail, Checked or Debug)", ManifestW10M, quote.Name(info.buildType))
	}
	if info.Owner != manifest.OwnerMicrosoft && !slices.Contains(info.Elements, "Platform") {
		add("%s has no Platform element, which the platform requires of packages not owned by Microsoft", ManifestW10M)
	}
	out = append(out, ProvisioningEntryProblems(info)...)
	byName := map[string]MemberInfo{}
	for _, m := range members {
		if _, dup := byName[m.Name]; !dup {
			byName[m.Name] = m
		}
	}
	provxmls := map[string]bool{}
	for _, f := range info.Files {
		provxmls[f.Name] = true
	}
	kinds := map[string]int{}
	seen := map[string]bool{}
	for _, e := range info.Entries {
		kinds[e.FileType]++
		name := quote.Name(e.CabPath)
		if seen[e.CabPath] {
			continue // the caller counts repeats of provisioning files; others once here
		}
		seen[e.CabPath] = true
		m, ok := byName[e.CabPath]
		if !ok {
			if e.FileType != FileTypeRegular {
				add("%s entry %s is missing from the archive", e.FileType, name)
			}
			continue
		}
		if e.FileSize > 0 && (e.CompressedFileSize <= 0 || e.StagedFileSize <= 0) {
			add("%s entry %s has no CompressedFileSize or StagedFileSize", e.FileType, name)
		}
		switch e.FileType {
		case FileTypeManifest:
			if e.CabPath != ManifestW10M {
				add("the Manifest entry names %s, not %s", name, ManifestW10M)
			} else if want := manifestSelfSize(m.Size, info.Entries); info.GUID != "" && e.FileSize != want {
				// provpack's own manifest (it carries the GUID) is held
				// to the rule it is written by; another tool's need not
				// be, and the catalog vouches for its bytes.
				add("%s: the Manifest entry records %d bytes; the package generator records %d for this manifest (its size with the Manifest and Catalog sizes at 0)", ManifestW10M, e.FileSize, want)
			}
		case FileTypeCatalog:
			if e.FileSize > m.Size {
				add("%s: the Catalog entry records %d bytes, more than the catalog's %d", name, e.FileSize, m.Size)
			}
		case "":
			add("%s: the entry has no FileType", name)
		default:
			// Regular, and the other kinds real packages carry
			// (registry and policy files, binary partitions, …): the
			// member as the entry describes it.
			if !provxmls[e.CabPath] && e.FileSize != m.Size { // provisioning files: checked with their lint
				add("%s: size %d, the package manifest says %d", name, m.Size, e.FileSize)
			}
		}
	}
	if kinds[FileTypeManifest] != 1 {
		add("%s has %d Manifest entries, want 1 (itself)", ManifestW10M, kinds[FileTypeManifest])
	}
	if kinds[FileTypeCatalog] != 1 {
		add("%s has %d Catalog entries, want 1 (%s)", ManifestW10M, kinds[FileTypeCatalog], CatalogW10M)
	}
	if _, ok := byName[CatalogW10M]; !ok {
		return out, nil
	}
	if catalogData == nil {
		add("%s: larger than a catalog may be (%d bytes)", CatalogW10M, maxManifestSize)
		return out, nil
	}
	cat, err := catalog.Parse(catalogData)
	if err != nil {
		add("%s: %v", CatalogW10M, err)
		return out, nil
	}
	for _, m := range members {
		if m.Name == CatalogW10M {
			continue
		}
		sum, err := hex.DecodeString(m.SHA256)
		var sums [][]byte
		if err == nil {
			sums = append(sums, sum)
		}
		listed := false
		for _, d := range append(sums, alt[m.Name]...) {
			listed = listed || cat.Has(d) || cat.Has(hexTag(d))
		}
		if !listed {
			add("%s does not list %s (SHA-256 %s)", CatalogW10M, quote.Name(m.Name), m.SHA256)
		}
	}
	return out, cat
}
