extern long data[64];
long sum(int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += data[i] * 3;
	__atomic_fetch_add(&data[0], 1, __ATOMIC_SEQ_CST);
	return s;
}
