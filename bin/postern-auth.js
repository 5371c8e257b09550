#!/usr/bin/env node
// The installed `postern-auth` command: the bundled auth_http service (npm run build writes build/).
import '../build/auth-service/main.js';
