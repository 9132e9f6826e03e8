// SPDX-License-Identifier: MIT
// tls_hog.c - libattach-tls.so: 1500 bytes of initial-exec TLS. Loaded late by the
// service, it takes most of the static TLS reserve glibc keeps for dlopen, so that the
// runtime (also initial-exec TLS) no longer fits: graft attach must say so.
__attribute__((tls_model("initial-exec"))) __thread char tls_hog[1500];

__attribute__((visibility("default"))) char *tls_hog_touch(void)
{
	tls_hog[0] = 1;
	return tls_hog;
}
