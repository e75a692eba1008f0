import { App } from 'cdk8s';
import { Fintech } from './chart';

const app = new App();
new Fintech(app, 'fintech');
app.synth();
