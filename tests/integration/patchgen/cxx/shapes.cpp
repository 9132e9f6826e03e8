// SPDX-License-Identifier: MIT
// shapes.cpp - a virtual method (Square::area, the vtable's key function file) and a
// non-virtual one (Account::fee).
#include "shapes.hpp"

Shape::~Shape() = default;

int Square::area() const
{
	return side * side;
}

int Account::fee(int x) const
{
	return x + balance_ / 100;
}

static __attribute__((noinline)) int use(const Shape &s)
{
	return s.area();
}

int shape_area(int side)
{
	Square sq(side);
	return use(sq);
}

int account_fee(int x)
{
	static Account acct(500);
	return acct.fee(x);
}
