#!/usr/bin/env node
// The hostwire-server program. It is committed (so `npm install` can link it before anything is built)
// and runs the compiled server that the root `prepare` script builds into dist/.
import '../dist/bin.js';
