// SPDX-License-Identifier: MIT
// shapes.hpp - what main.cpp dispatches to: methods, a template, exceptions, statics.
#pragma once

struct Shape {
	virtual ~Shape();
	virtual int area() const = 0;
};

struct Square : Shape {
	explicit Square(int s) : side(s) {}
	int area() const override;
	int side;
};

class Account {
public:
	explicit Account(int b) : balance_(b) {}
	int fee(int x) const;

private:
	int balance_;
};

// A function template: its instantiation is a COMDAT (weak) function.
template <typename T> __attribute__((noinline)) T twice(T x)
{
	return x * 2;
}

// Thrown by parse(); a class without a key function: its typeinfo is COMDAT.
struct BadInput {
	int value;
};

int shape_area(int side);
int account_fee(int x);
int calc_twice(int x);
int parse(int x);
int risky(int x);
int guarded(int x);
int tally(int x);
