package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

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

// W10MProvxmlDir is where W10M OEM update provisioning files go on the
// device ($(runtime.updateProvxmlOEM), commercialization-public).
const W10MProvxmlDir = `\Windows\System32\Migrators\DuMigrationProvisionerOEM\provxml`

// PackageInfo is what a package manifest says, in either layout.
type PackageInfo struct {
	Name    string         `json:"name"`
	GUID    string         `json:"guid"`
	Version string         `json:"version"`
	Owner   manifest.Owner `json:"owner"`
	Target  string         `json:"target"`
	Image   string         `json:"image"`
	Files   []FileInfo     `json:"files"`
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

// The DSM layout (Package/Identity/Version, OwnerType, Files), with
// provpack's class, ordinal and hash as attributes in its own namespace.
type dsmPackage struct {
	XMLName     xml.Name     `xml:"http://schemas.microsoft.com/embedded/2004/10/ImageUpdate Package"`
	PP          string       `xml:"xmlns:pp,attr"`
	Identity    dsmIdentity  `xml:"Identity"`
	ReleaseType string       `xml:"ReleaseType"`
	OwnerType   string       `xml:"OwnerType"`
	BuildType   string       `xml:"BuildType"`
	Partition   string       `xml:"Partition"`
	IsRemoval   bool         `xml:"IsRemoval"`
	GUID        string       `xml:"urn:provpack:package:1 guid,attr"`
	Target      string       `xml:"urn:provpack:package:1 target,attr"`
	Image       string       `xml:"urn:provpack:package:1 image,attr"`
	Version     string       `xml:"urn:provpack:package:1 version,attr"`
	Files       []dsmFileRef `xml:"Files>FileEntry"`
}

type dsmIdentity struct {
	Owner        string     `xml:"Owner"`
	Component    string     `xml:"Component"`
	SubComponent string     `xml:"SubComponent"`
	Version      dsmVersion `xml:"Version"`
}

type dsmVersion struct {
	Major int `xml:"Major,attr"`
	Minor int `xml:"Minor,attr"`
	QFE   int `xml:"QFE,attr"`
	Build int `xml:"Build,attr"`
}

type dsmFileRef struct {
	FileType   string `xml:"FileType"`
	DevicePath string `xml:"DevicePath"`
	CabPath    string `xml:"CabPath"`
	Attributes string `xml:"Attributes"`
	FileSize   int64  `xml:"FileSize"`
	Class      string `xml:"urn:provpack:package:1 class,attr"`
	Ordinal    int    `xml:"urn:provpack:package:1 ordinal,attr"`
	SHA256     string `xml:"urn:provpack:package:1 sha256,attr"`
}

var ownerTypes = map[manifest.Owner]string{
	manifest.OwnerMicrosoft: "Microsoft", manifest.OwnerSilicon: "SiliconVendor",
	manifest.OwnerOEM: "OEM", manifest.OwnerOperator: "MobileOperator",
}

// MarshalManifest renders info in the target's layout and returns the
// member name and bytes: encoding/xml's output, after xml.Header, indented
// by two spaces, with a final newline.
func MarshalManifest(info *PackageInfo) (string, []byte, error) {
	var v any
	name := ManifestWM6
	if info.Target == string(manifest.TargetW10M) {
		name = ManifestW10M
		ver, err := manifest.ParseVersion(info.Version)
		if err != nil {
			return "", nil, err
		}
		sv := ver.Semver()
		d := dsmPackage{PP: pkgNamespace,
			Identity:    dsmIdentity{Owner: info.Image, Component: info.Name, SubComponent: "PROVXML", Version: dsmVersion{int(sv.Major()), int(sv.Minor()), int(sv.Patch()), 0}},
			ReleaseType: "Production", OwnerType: ownerTypes[info.Owner], BuildType: "Release", Partition: "MainOS",
			GUID: info.GUID, Target: info.Target, Image: info.Image, Version: info.Version}
		for _, f := range info.Files {
			d.Files = append(d.Files, dsmFileRef{FileType: "Regular", DevicePath: W10MProvxmlDir + `\` + f.Name, CabPath: f.Name,
				Attributes: "Normal", FileSize: f.Size, Class: string(f.Class), Ordinal: f.Ordinal, SHA256: f.SHA256})
		}
		v = d
	} else {
		p := xmlPackage{Name: info.Name, GUID: info.GUID, Version: info.Version, Owner: string(info.Owner), Target: info.Target, Image: info.Image}
		for _, f := range info.Files {
			p.Files = append(p.Files, xmlFile{f.Name, string(f.Class), f.Ordinal, f.Size, f.SHA256})
		}
		v = p
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", nil, err
	}
	b.WriteByte('\n')
	return name, b.Bytes(), nil
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
		var d dsmPackage
		if err := xml.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		owner := manifest.Owner("")
		for o, t := range ownerTypes {
			if t == d.OwnerType {
				owner = o
			}
		}
		info := &PackageInfo{Name: d.Identity.Component, GUID: d.GUID, Version: d.Version, Owner: owner, Target: d.Target, Image: d.Image}
		if info.Version == "" {
			v := d.Identity.Version
			info.Version = strings.Join([]string{strconv.Itoa(v.Major), strconv.Itoa(v.Minor), strconv.Itoa(v.QFE)}, ".")
		}
		for _, f := range d.Files {
			info.Files = append(info.Files, FileInfo{f.CabPath, manifest.Class(f.Class), f.Ordinal, f.FileSize, f.SHA256})
		}
		return info, nil
	}
	return nil, fmt.Errorf("%s is not a package manifest", name)
}

// IsManifest reports whether a member name is a package manifest.
func IsManifest(name string) bool {
	return name == ManifestWM6 || name == ManifestW10M
}
