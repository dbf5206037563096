package testutil

import (
	"fmt"
	"strings"
)

// RealFile is one member of a package made as the platform's package
// generator makes it: a shortened cabinet name (CabPath) for a file
// installed at DevicePath.
type RealFile struct {
	FileType   string // Regular, or another kind real packages carry
	CabPath    string
	DevicePath string
	Data       []byte
}

// RealLikeDSM returns a man.dsm.xml laid out as the platform's tools lay
// it out (shaped like ../shared/realworld/dsm/
// microsoft.speech.downloadsystem_lang_de-de.man.dsm.xml: four-part
// version, Culture, GroupingKey, IsBinaryPartition, no provpack
// attributes) for package owner.component.sub of culture, with a
// Manifest and a Catalog entry and an entry per file. name is the
// package's full name (the manifest's and catalog's file name on the
// device).
func RealLikeDSM(owner, component, sub, culture, version, name string, files []RealFile) []byte {
	v := strings.Split(version, ".")
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`<?xml version="1.0" encoding="UTF-8"?>`)
	w(`<Package xmlns="http://schemas.microsoft.com/embedded/2004/10/ImageUpdate">`)
	w(`  <Identity>`)
	w(`    <Owner>%s</Owner>`, owner)
	w(`    <Component>%s</Component>`, component)
	w(`    <SubComponent>%s</SubComponent>`, sub)
	w(`    <Version Major="%s" Minor="%s" QFE="%s" Build="%s" />`, v[0], v[1], v[2], v[3])
	w(`  </Identity>`)
	w(`  <ReleaseType>Production</ReleaseType>`)
	w(`  <OwnerType>OEM</OwnerType>`)
	w(`  <BuildType>Retail</BuildType>`)
	w(`  <CpuType>ARM</CpuType>`)
	w(`  <Culture>%s</Culture>`, culture)
	w(`  <Platform>Generic</Platform>`)
	w(`  <Partition>MainOS</Partition>`)
	w(`  <GroupingKey>%s</GroupingKey>`, component)
	w(`  <IsRemoval>false</IsRemoval>`)
	w(`  <IsBinaryPartition>false</IsBinaryPartition>`)
	w(`  <Files>`)
	entry := func(typ, dev, cab string, size, comp int) {
		w(`    <FileEntry>`)
		w(`      <FileType>%s</FileType>`, typ)
		w(`      <DevicePath>%s</DevicePath>`, dev)
		w(`      <CabPath>%s</CabPath>`, cab)
		w(`      <Attributes>Archive Compressed</Attributes>`)
		w(`      <FileSize>%d</FileSize>`, size)
		w(`      <CompressedFileSize>%d</CompressedFileSize>`, comp)
		w(`      <StagedFileSize>%d</StagedFileSize>`, comp)
		w(`    </FileEntry>`)
	}
	for _, f := range files {
		entry(f.FileType, f.DevicePath, f.CabPath, len(f.Data), len(f.Data)/2+1)
	}
	entry("Manifest", `\Windows\Packages\DsmFiles\`+name+".dsm.xml", "man.dsm.xml", 1000, 500)
	entry("Catalog", `\Windows\System32\catroot\{F750E6C3-38EE-11D1-85E5-00C04FC295EE}\`+name+".cat", "content.cat", 100, 50)
	w(`  </Files>`)
	b.WriteString(`</Package>`)
	return []byte(b.String())
}
