// The trustee pages (/trustee/enrol and /trustee/): bundled by esbuild into
// voting/static/dist/trustee.js. The crypto lives in ../trustee/*.js
// (DOM-free, tested under Node against the Python reference).

import { initCeremony } from '../trustee/ceremony-page.js';
import { initEnrolPage } from '../trustee/enrol-page.js';
import { initHomePage } from '../trustee/home-page.js';

const enrolRoot = document.getElementById('trustee-enrol');
if (enrolRoot) initEnrolPage(enrolRoot);

const homeRoot = document.getElementById('trustee-home');
if (homeRoot) initHomePage(homeRoot);

const ceremonyRoot = document.getElementById('key-generation');
if (ceremonyRoot) initCeremony(ceremonyRoot);
