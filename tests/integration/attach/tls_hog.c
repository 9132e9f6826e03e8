// SPDX-License-Identifier: MIT
// tls_hog.c - libattach-tls.so: 1600 bytes of initial-exec TLS. Loaded late by the
// service, it takes most of the static TLS reserve glibc keeps for dlopen (1712 bytes on
// glibc 2.36), so that the runtime (208 bytes of initial-exec TLS, AttachTls test) no
// longer fits in the ~110 left: graft attach must say so.
__attribute__((tls_model("initial-exec"))) __thread char tls_hog[1600];

__attribute__((visibility("default"))) char *tls_hog_touch(void)
{
	tls_hog[0] = 1;
	return tls_hog;
}
