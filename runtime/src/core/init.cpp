// SPDX-License-Identifier: MIT
// init.cpp - libgraft.so's constructor (placeholder until the core lands).
