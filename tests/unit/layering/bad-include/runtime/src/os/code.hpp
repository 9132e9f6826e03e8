// Fixture: a header arch/ may include.
#pragma once
