#!/usr/bin/env node
// Entry point of the `mesh-perimeter` command.
import { main } from './main';

process.exitCode = main(process.argv.slice(2));
