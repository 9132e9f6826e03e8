// SPDX-License-Identifier: MIT
// errors.cpp - exceptions: parse() throws to main's catch, guarded() catches what the
// target's risky() throws.
#include "shapes.hpp"

__attribute__((noinline)) int parse(int x)
{
	if (x < 0)
		throw BadInput{x};
	return x;
}

int guarded(int x)
{
	try {
		return risky(x);
	} catch (const BadInput &e) {
		return -1;
	}
}
