extern int helper(int);
extern int counter;
static int local_total;
int table[4] = {1, 2, 3, 4};
int f(int x)
{
	counter += x;
	local_total += helper(x) + table[x & 3];
	return local_total;
}
