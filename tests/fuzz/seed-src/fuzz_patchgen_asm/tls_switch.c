extern __thread int tls_count;
static __thread int mine;
int g(int k, int *p)
{
	mine++;
	tls_count++;
	switch (k) {
	case 0:
		return p[1];
	case 1:
		return p[3] * 7;
	case 2:
		return p[5] - 1;
	case 3:
		return p[7] ^ 9;
	case 4:
		return mine;
	default:
		return k;
	}
}
