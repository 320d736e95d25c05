#!/usr/bin/env node
// The hostwire-agent program. It is committed (so `npm install` can link it before anything is built)
// and runs the compiled CLI that the root `prepare` script builds into dist/.
import '../dist/bin.js';
