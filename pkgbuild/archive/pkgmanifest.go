package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"

	"github.com/provpack/provpack/manifest"
)

// The package manifest is the member of every archive that describes the
// package: identity, and each provisioning file with its class, ordinal,
// size and SHA-256. docs/package-manifest.md describes both layouts. It
// does not name the image release, so an unchanged package keeps the same
// archive bytes from one release to the next.
const (
	// ManifestWM6 is the member name of provpack's own layout
	// (Windows Mobile's binary .dsm is undocumented).
	ManifestWM6 = "package.xml"
	// ManifestW10M is the member name of the Image Update device
	// side manifest, as Windows Phone 8 / Windows 10 Mobile packages carry
	// it.
	ManifestW10M = "man.dsm.xml"

	pkgNamespace = "urn:provpack:package:1"
	dsmNamespace = "http://schemas.microsoft.com/embedded/2004/10/ImageUpdate"
)

// PackageInfo is what a package manifest says, in either layout.
type PackageInfo struct {
	Name    string         `json:"name"`
	GUID    string         `json:"guid"`
	Version string         `json:"version"`
	Owner   manifest.Owner `json:"owner"`
	Target  string         `json:"target"`
	Image   string         `json:"image"`
	Files   []FileInfo     `json:"files"`

	// The w10m package identity (empty for wm6): Company is
	// Identity/Owner, SubComponent the optional last part of the name,
	// CPU and ReleaseType the manifest's values ("arm", "production").
	Company      string `json:"company,omitempty"`
	SubComponent string `json:"subcomponent,omitempty"`
	CPU          string `json:"cpu,omitempty"`
	ReleaseType  string `json:"releaseType,omitempty"`
	// Identity is the name the platform gives the package:
	// <Owner>.<Component>[.<SubComponent>] with the suffixes _Lang_<culture>
	// and _RES_<resolution> of a language or resolution package (the
	// name of its manifest and catalog on the device).
	Identity string `json:"identity,omitempty"`
	// Culture, Resolution and Partition are the manifest's elements of
	// those names, when present.
	Culture    string `json:"culture,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	Partition  string `json:"partition,omitempty"`
	// Entries are the w10m manifest's file entries, of every kind, as
	// written or read.
	Entries []DSMEntry `json:"entries,omitempty"`
	// Elements are the top-level elements of a w10m manifest as read, in
	// order (for verify and for comparing with real packages).
	Elements  []string `json:"-"`
	buildType string
}

// FileInfo describes one provisioning file of a package.
type FileInfo struct {
	Name    string         `json:"name"`
	Class   manifest.Class `json:"class"`
	Ordinal int            `json:"ordinal"`
	Size    int64          `json:"size"`
	SHA256  string         `json:"sha256"`
}

// SHA256Hex is the hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// provpack's layout.
type xmlPackage struct {
	XMLName xml.Name  `xml:"urn:provpack:package:1 package"`
	Name    string    `xml:"name,attr"`
	GUID    string    `xml:"guid,attr"`
	Version string    `xml:"version,attr"`
	Owner   string    `xml:"owner,attr"`
	Target  string    `xml:"target,attr"`
	Image   string    `xml:"image,attr"`
	Files   []xmlFile `xml:"file"`
}

type xmlFile struct {
	Name    string `xml:"name,attr"`
	Class   string `xml:"class,attr"`
	Ordinal int    `xml:"ordinal,attr"`
	Size    int64  `xml:"size,attr"`
	SHA256  string `xml:"sha256,attr"`
}

// MarshalManifest renders info in the target's layout and returns the
// member name and bytes. wm6: encoding/xml's output, after xml.Header,
// indented by two spaces, with a final newline. w10m: the device-side
// manifest of info.Entries (see marshalDSM); BuildMembers fills them.
func MarshalManifest(info *PackageInfo) (string, []byte, error) {
	if info.Target == string(manifest.TargetW10M) {
		data, err := marshalDSM(info)
		return ManifestW10M, data, err
	}
	p := xmlPackage{Name: info.Name, GUID: info.GUID, Version: info.Version, Owner: string(info.Owner), Target: info.Target, Image: info.Image}
	for _, f := range info.Files {
		p.Files = append(p.Files, xmlFile{f.Name, string(f.Class), f.Ordinal, f.Size, f.SHA256})
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(p); err != nil {
		return "", nil, err
	}
	b.WriteByte('\n')
	return ManifestWM6, b.Bytes(), nil
}

// ParseManifest reads a package manifest of either layout; name is its
// member name (ManifestWM6 or ManifestW10M).
func ParseManifest(name string, data []byte) (*PackageInfo, error) {
	switch name {
	case ManifestWM6:
		var p xmlPackage
		if err := xml.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		info := &PackageInfo{Name: p.Name, GUID: p.GUID, Version: p.Version, Owner: manifest.Owner(p.Owner), Target: p.Target, Image: p.Image}
		for _, f := range p.Files {
			info.Files = append(info.Files, FileInfo{f.Name, manifest.Class(f.Class), f.Ordinal, f.Size, f.SHA256})
		}
		return info, nil
	case ManifestW10M:
		info, err := parseDSM(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return info, nil
	}
	return nil, fmt.Errorf("%s is not a package manifest", name)
}

// IsManifest reports whether a member name is a package manifest.
func IsManifest(name string) bool {
	return name == ManifestWM6 || name == ManifestW10M
}
