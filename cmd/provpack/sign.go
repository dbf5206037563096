package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/pkgbuild/sign"
)

// signFlags are build's signing options; each can come from the
// environment instead, for CI secrets.
var signFlags = []cli.Flag{
	&cli.StringFlag{Name: "sign-cert", EnvVars: []string{"PROVPACK_SIGN_CERT"}, Usage: "sign every cabinet: PEM certificate chain, signing certificate first (with --sign-key or --sign-command)"},
	&cli.StringFlag{Name: "sign-key", EnvVars: []string{"PROVPACK_SIGN_KEY"}, Usage: "the signing certificate's private key: PEM, PKCS#1, PKCS#8 or EC, unencrypted"},
	&cli.StringFlag{Name: "sign-pkcs12", EnvVars: []string{"PROVPACK_SIGN_PKCS12"}, Usage: "sign with the key and chain of a PKCS#12 (.pfx) file; its password from PROVPACK_SIGN_PASSWORD"},
	&cli.StringFlag{Name: "sign-command", EnvVars: []string{"PROVPACK_SIGN_COMMAND"}, Usage: "sign through a shell command that signs the SHA-256 digest on its stdin and prints the raw signature (key in an HSM; with --sign-cert; see docs/signing.md)"},
}

// signer reads the signing options; nil when none is given.
func signer(c *cli.Context) (*sign.Signer, error) {
	cert, key, p12, command := c.String("sign-cert"), c.String("sign-key"), c.String("sign-pkcs12"), c.String("sign-command")
	switch {
	case cert == "" && key == "" && p12 == "" && command == "":
		return nil, nil
	case p12 != "" && (cert != "" || key != "" || command != ""):
		return nil, usagef("--sign-pkcs12 holds the key and the chain; give it alone, without --sign-cert, --sign-key or --sign-command")
	case p12 != "":
		return sign.LoadPKCS12(p12, os.Getenv("PROVPACK_SIGN_PASSWORD"))
	case key != "" && command != "":
		return nil, usagef("give either --sign-key (a key file) or --sign-command (a command that signs), not both")
	case cert == "":
		return nil, usagef("--sign-key and --sign-command need the certificate chain too: --sign-cert CHAIN.pem")
	case command != "":
		return sign.NewCommandSigner(cert, command)
	case key == "":
		return nil, usagef("--sign-cert needs the key: --sign-key KEY.pem, or --sign-command CMD for a key held elsewhere")
	}
	return sign.LoadPEM(cert, key)
}
