/**
 * The conformance app as a module default export, for `fcgi serve examples/conformance/dist/handler.js`
 * (the systemd socket-activation check runs it that way).
 */

import { createConformanceApp } from './app';
import { createStats } from './stats';

export default createConformanceApp({ stats: process.env.FCGI_STATS === '1' ? createStats() : undefined });
