import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@fcgi/example-authorizer');
