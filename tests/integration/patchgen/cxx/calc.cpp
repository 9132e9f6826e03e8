// SPDX-License-Identifier: MIT
// calc.cpp - uses the function template twice<int>.
#include "shapes.hpp"

int calc_twice(int x)
{
	return twice<int>(x) + 1;
}
