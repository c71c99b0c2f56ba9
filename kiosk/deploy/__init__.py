"""The kiosk as a Debian package: the build (package), the maintainer work (maint),
provisioning (provision, credential, creds, network), the crash-loop rollback (bootcount)
and the province repository (repository). docs/deploying.md."""
