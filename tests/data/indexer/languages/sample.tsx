import React from "react";

interface Props {
  name: string;
}

// Shows a cart's name.
export function CartTitle({ name }: Props) {
  return <h1 className="title">{name}</h1>;
}

export const Badge = (props: Props) => <span>{props.name}</span>;

class Panel extends React.Component<Props> {
  render() {
    return <div>{this.props.name}</div>;
  }
}
