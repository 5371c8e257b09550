#!/usr/bin/env node
// The installed command: the compiled entry point (npm run build writes build/).
import '../build/src/main.js';
