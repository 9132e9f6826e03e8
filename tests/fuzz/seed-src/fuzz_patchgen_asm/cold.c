extern void report(const char *);
extern void (*hook)(int);
__attribute__((noreturn)) extern void die(int);
const char *names[] = {"a", "b"};
int h(int v)
{
	if (__builtin_expect(v < 0, 0)) {
		report(names[1]);
		die(v);
	}
	hook(v);
	__builtin_memset(&v, 0, sizeof v);
	return v + 1;
}
