// Fixture: arch/ may include os/ but never core/ (scripts/check-layering.sh).
#pragma once
