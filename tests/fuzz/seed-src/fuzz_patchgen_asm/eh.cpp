struct E {
	int v;
};
extern void may_throw(int);
int k(int x)
{
	try {
		may_throw(x);
	} catch (const E &e) {
		return e.v;
	}
	return 0;
}
