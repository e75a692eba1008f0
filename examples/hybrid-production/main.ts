import { App } from 'cdk8s';
import { HybridProduction } from './chart';

const app = new App();
new HybridProduction(app, 'hybrid-production');
app.synth();
