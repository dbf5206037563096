package archive

import (
	"bytes"
	"fmt"

	"github.com/provpack/provpack/manifest"
)

// PkgGenNamespace is the namespace of Windows Phone package project files
// (.pkg.xml), the input of Microsoft's package generator.
const PkgGenNamespace = "urn:Microsoft.WindowsPhone/PackageSchema.v8.00"

// PkgGenProject returns the name and bytes of the package project file
// (<Owner>.<Component>[.<SubComponent>].pkg.xml) that makes Microsoft's
// package generator build a w10m package installing info.Files where
// provpack's .spkg installs them: each file's Source is its name (the
// files sit beside the project), its DestinationDir the macro of its
// class and owner (ProvxmlMacro). The package attributes are the ones the
// project schema requires: Owner, Component, OwnerType, ReleaseType, and
// Platform when the owner is not Microsoft; SubComponent when set. The
// version and CPU are arguments of the generator, not attributes: a
// comment gives them.
func PkgGenProject(info *PackageInfo) (string, []byte, error) {
	ownerType, ok := ownerTypes[info.Owner]
	if !ok {
		return "", nil, fmt.Errorf("package %s: unknown owner %q", info.Name, info.Owner)
	}
	ver, err := manifest.ParseVersion(info.Version)
	if err != nil {
		return "", nil, err
	}
	p := ver.Parts()
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n")
	// Names are letters, digits, _ and -, never "--": safe in a comment.
	fmt.Fprintf(&b, "<!-- Written by provpack. Build with: pkggen %s.pkg.xml /version:%d.%d.%d.%d /cpu:%s -->\r\n",
		PackageBaseName(info), p[0], p[1], p[2], p[3], cpuTypes[or(info.CPU, "arm")])
	fmt.Fprintf(&b, "<Package xmlns=\"%s\"\r\n", PkgGenNamespace)
	fmt.Fprintf(&b, "         Owner=\"%s\"\r\n", esc(info.Company))
	fmt.Fprintf(&b, "         OwnerType=\"%s\"\r\n", ownerType)
	if info.Owner != manifest.OwnerMicrosoft {
		b.WriteString("         Platform=\"Generic\"\r\n")
	}
	fmt.Fprintf(&b, "         Component=\"%s\"\r\n", esc(info.Name))
	if info.SubComponent != "" {
		fmt.Fprintf(&b, "         SubComponent=\"%s\"\r\n", esc(info.SubComponent))
	}
	fmt.Fprintf(&b, "         ReleaseType=\"%s\">\r\n", releaseTypes[or(info.ReleaseType, "production")])
	b.WriteString("  <Components>\r\n    <OSComponent>\r\n      <Files>\r\n")
	for _, f := range info.Files {
		fmt.Fprintf(&b, "        <File Source=\"%s\" DestinationDir=\"%s\"/>\r\n", esc(f.Name), ProvxmlMacro(info.Owner, f.Class))
	}
	b.WriteString("      </Files>\r\n    </OSComponent>\r\n  </Components>\r\n</Package>\r\n")
	return PackageBaseName(info) + ".pkg.xml", b.Bytes(), nil
}
